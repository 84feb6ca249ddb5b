// E-mail to referrers and friends, end to end: the real Worker sends through a
// local server that speaks Postmark's wire format (and, once, Resend's), from the
// outbox, with retries; referrers sign into the hosted portal with a code read from
// the captured message (in Chromium), invite friends and unsubscribe in one click.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, createProgram, client, eventually, launchBrowser, runCron, ADMIN_TOKEN } from './harness.mjs';
import { startMailServer } from './fixtures/mail.mjs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// SCREENSHOTS=1 retakes docs/screenshots/emails/*.png: every message as /__dev/mail shows it.
const shots = process.env.SCREENSHOTS === '1' ? join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots', 'emails') : null;
const MESSAGES = ['referrer_welcome', 'friend_joined', 'reward_approved', 'payout_sent', 'friend_welcome', 'friend_invite', 'sign_in_code'];

let worker, mail, owner, shop, resendWorker, devWorker;
const SENDER = { enabled: true, from_address: 'rewards@shop.example', from_name: 'Shop "Rewards"', reply_to: 'help@shop.example' };

before(async () => {
  mail = await startMailServer();
  // Three Workers: Postmark (most tests), Resend, and none (development); started side by side.
  const provider = (name) => ({ EMAIL_PROVIDER: name, EMAIL_API_URL: mail.url, EMAIL_API_TOKEN: mail.token });
  [worker, resendWorker, devWorker] = await Promise.all([startWorker({ vars: provider('postmark') }), startWorker({ vars: provider('resend') }), startWorker()]);
  owner = client(worker.url, ADMIN_TOKEN);
  shop = await createProgram(worker, {
    emails: SENDER,
    rewards: { referrer: { type: 'fixed', amount: 500, on: 'signup' }, friend: { type: 'coupon', code: 'FRIEND10', description: '10% off your first order' }, approval: 'manual' },
  });
});
after(async () => {
  await Promise.all([worker?.stop(), resendWorker?.stop(), devWorker?.stop()]);
  await mail?.stop();
});

/** The program's e-mail deliveries, once none is pending (each one sent, skipped or failed for good). */
async function settled(program = shop.program) {
  return eventually(async () => {
    const log = await owner('GET', `/v1/programs/${program.id}/emails?limit=250`);
    assert.equal(log.status, 200, JSON.stringify(log.body));
    return log.body.data.every((d) => d.status !== 'pending') && log.body.data;
  });
}

const one = (to, subject) => {
  const found = mail.to(to, subject);
  assert.equal(found.length, 1, `exactly one ${subject} to ${to}: ${JSON.stringify(found.map((m) => m.subject))}`);
  return found[0];
};

test('a new referrer, a friend joining, an approved reward and a payout each arrive once, with the right link and amount', async () => {
  const ann = await shop.api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com', name: 'Ann', surname: 'Smith' });
  assert.equal(ann.status, 201, JSON.stringify(ann.body));
  const welcome = await eventually(() => mail.to('ann@example.com', /referral link/)[0]);
  assert.equal(welcome.from, '"Shop \\"Rewards\\"" <rewards@shop.example>');
  assert.equal(welcome.replyTo, 'help@shop.example');
  assert.equal(welcome.stream, 'outbound');
  assert.match(welcome.text, /^Hi Ann,/);
  assert.ok(welcome.text.includes(ann.body.referral_link), welcome.text);
  assert.ok(welcome.text.includes(`${worker.url}/portal/${shop.program.public_id}`));
  assert.ok(welcome.html.includes(`<a href="${ann.body.referral_link}">`), welcome.html);
  assert.match(welcome.headers['List-Unsubscribe'], new RegExp(`^<${worker.url}/u/[\\w-]+\\.[\\w-]+\\.[\\w-]+>$`));
  assert.equal(welcome.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');

  const bob = await shop.api('POST', '/v1/customers', { key: 'bob', email: 'bob@example.com', name: 'Bob', surname: 'Jones', referring_customer: { key: 'ann' } });
  assert.equal(bob.status, 201);
  const joined = await eventually(() => mail.to('ann@example.com', /joined/)[0]);
  assert.equal(joined.subject, 'Bob joined Shop through your link');
  const friendWelcome = await eventually(() => mail.to('bob@example.com')[0]);
  assert.match(friendWelcome.text, /10% off your first order with the code FRIEND10/);

  const pending = await shop.api('GET', '/v1/rewards?customer=ann&status=pending');
  assert.equal(pending.body.data.length, 1);
  assert.equal((await shop.api('POST', `/v1/rewards/${pending.body.data[0].id}/approve`)).status, 200);
  const approved = await eventually(() => mail.to('ann@example.com', /You earned/)[0]);
  assert.equal(approved.subject, 'You earned €5.00 from Shop');
  assert.match(approved.text, /Your reward of €5\.00 has been approved/);

  assert.equal((await shop.api('POST', '/v1/payouts', { customer: { key: 'ann' }, reference: 'bank-1' })).status, 201);
  const paid = await eventually(() => mail.to('ann@example.com', /paid you/)[0]);
  assert.equal(paid.subject, 'Shop paid you €5.00');

  const log = await settled();
  for (const [to, subject] of [['ann@example.com', /referral link/], ['ann@example.com', /joined/], ['bob@example.com', /Welcome/], ['ann@example.com', /You earned/], ['ann@example.com', /paid you/]]) one(to, subject);
  const messages = log.map((d) => `${d.message} ${d.to} ${d.status}`).sort();
  assert.deepEqual(messages, [
    'friend_joined ann@example.com succeeded', 'friend_welcome bob@example.com succeeded', 'payout_sent ann@example.com succeeded',
    'referrer_welcome ann@example.com succeeded', 'reward_approved ann@example.com succeeded',
  ]);
  // E-mails are in the outbox but are no one's events.
  const events = await shop.api('GET', '/v1/events?limit=250');
  assert.ok(events.body.data.every((e) => !e.type.startsWith('email.')), JSON.stringify(events.body.data.map((e) => e.type)));
});

test('the provider answering 503 once: delivered after the retry, exactly once', async () => {
  mail.fail(503);
  const carl = await shop.api('POST', '/v1/customers', { key: 'carl', email: 'carl@example.com', name: 'Carl' });
  assert.equal(carl.status, 201);
  const first = await eventually(async () => {
    const log = (await owner('GET', `/v1/programs/${shop.program.id}/emails`)).body.data;
    const d = log.find((x) => x.to === 'carl@example.com');
    return d?.attempts === 1 && d;
  });
  assert.equal(first.status, 'pending', 'a 503 is retried');
  assert.equal(first.last_code, 503);
  assert.equal(mail.to('carl@example.com').length, 0);
  // The retry's time comes (its backoff, moved to now) and the cron trigger sends it.
  await worker.sql(`UPDATE deliveries SET next_attempt_at = 0 WHERE id = '${first.id}'`);
  await runCron(worker);
  const done = (await settled()).find((x) => x.id === first.id);
  assert.deepEqual([done.status, done.attempts, done.last_code], ['succeeded', 2, 200]);
  one('carl@example.com', /referral link/);
  // A second scheduled run sends nothing again.
  await runCron(worker);
  assert.equal(mail.to('carl@example.com').length, 1);
});

test('a name with markup arrives escaped in the HTML part and as typed in the text part', async () => {
  const name = '<img src=x onerror=alert(1)>';
  assert.equal((await shop.api('POST', '/v1/customers', { key: 'xss', email: 'xss@example.com', name })).status, 201);
  const m = await eventually(() => mail.to('xss@example.com')[0]);
  assert.ok(!m.html.includes('<img'), m.html);
  assert.ok(m.html.includes('Hi &lt;img src=x onerror=alert(1)&gt;,'), m.html);
  assert.match(m.text, /^Hi <img src=x onerror=alert\(1\)>,/);
});

test('settings: a PATCH merges, an unknown placeholder is a 422 naming it, e-mails need a sender', async () => {
  const edited = await owner('PATCH', `/v1/programs/${shop.program.id}`, { emails: { messages: { friend_joined: { subject: '{{friend_name}} is in!' } } } });
  assert.equal(edited.status, 200, JSON.stringify(edited.body));
  assert.equal(edited.body.emails.messages.friend_joined.subject, '{{friend_name}} is in!');
  assert.equal(edited.body.emails.from_address, SENDER.from_address, 'what the PATCH left out stays');
  assert.equal(edited.body.emails.messages.referrer_welcome.subject, 'Your {{program_name}} referral link', 'the defaults of the rest');
  const bad = await owner('PATCH', `/v1/programs/${shop.program.id}`, { emails: { messages: { referrer_welcome: { body: 'Your code: {{code}}' } } } });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.error.field, 'emails.messages.referrer_welcome.body');
  assert.match(bad.body.error.message, /unknown placeholder \{\{code\}\}/);
  const reset = await owner('PATCH', `/v1/programs/${shop.program.id}`, { emails: { messages: { friend_joined: { subject: null } } } });
  assert.equal(reset.body.emails.messages.friend_joined.subject, '{{friend_name}} joined {{program_name}} through your link');
  const fresh = await createProgram(worker, { name: 'No sender' });
  assert.equal(fresh.program.emails.enabled, false, 'a new program starts with e-mails off');
  const on = await owner('PATCH', `/v1/programs/${fresh.program.id}`, { emails: { enabled: true } });
  assert.deepEqual([on.status, on.body.error.field], [422, 'emails.enabled']);
  const preview = await owner('POST', `/v1/programs/${shop.program.id}/emails/preview`, { message: 'friend_joined', body: 'Hi {{name}}, {{friend_name}} joined.' });
  assert.equal(preview.status, 200);
  assert.deepEqual([preview.body.subject, preview.body.text.split('\n')[0]], ['Bob joined Shop through your link', 'Hi Ann, Bob joined.']);
});

test('portal sign-in: an unknown address gets the same 202 and no mail; five wrong codes kill the code', async () => {
  const portal = (path, body) => fetch(`${worker.url}/portal/${shop.program.public_id}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: worker.url }, body: JSON.stringify(body) });
  const stranger = await portal('/code', { email: 'nobody@example.com' });
  assert.equal(stranger.status, 202);
  const log = (await owner('GET', `/v1/programs/${shop.program.id}/emails?limit=250`)).body.data;
  assert.ok(!log.some((d) => d.message === 'sign_in_code'), 'no message for an address that is no customer');
  assert.equal((await portal('/code', { email: 'ann@example.com' })).status, 202);
  const sent = await eventually(() => mail.to('ann@example.com', /sign-in code/)[0]);
  const code = sent.subject.match(/^(\d{6}) is your Shop sign-in code$/)[1];
  assert.ok(sent.text.includes(code));
  assert.equal(sent.headers['List-Unsubscribe'], undefined, 'a sign-in code is transactional: no unsubscribe');
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  for (let i = 0; i < 5; i++) {
    const r = await portal('/session', { email: 'ann@example.com', code: wrong });
    assert.equal(r.status, 400, `wrong code ${i + 1}`);
    assert.equal((await r.json()).error.code, 'invalid_code');
  }
  const dead = await portal('/session', { email: 'ann@example.com', code });
  assert.equal(dead.status, 400, 'the right code after five wrong ones');
  assert.equal(dead.headers.get('set-cookie'), null);
  // Another site cannot ask for codes or sign anyone in.
  const foreign = await fetch(`${worker.url}/portal/${shop.program.public_id}/code`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: '{"email":"ann@example.com"}' });
  assert.equal(foreign.status, 403);
});

test('rate limits still allow 10 code requests and 20 sign-in attempts from one IP in ten minutes', async () => {
  const limited = await createProgram(worker, { name: 'Limits', emails: SENDER });
  const portal = (path, body) => fetch(`${worker.url}/portal/${limited.program.public_id}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (let i = 0; i < 10; i++) assert.equal((await portal('/code', { email: `p${i}@example.com` })).status, 202, `code request ${i + 1}`);
  for (let i = 0; i < 20; i++) assert.equal((await portal('/session', { email: `p${i % 10}@example.com`, code: '000000' })).status, 400, `attempt ${i + 1}`);
  for (let i = 0; i < 5; i++) assert.equal((await portal('/code', { email: 'same@example.com' })).status, 202);
  assert.equal((await portal('/code', { email: 'same@example.com' })).status, 429, 'the sixth code for one address in ten minutes');
});

test('one-click unsubscribe: the next friend_joined is not sent, a sign-in code still is', async () => {
  const welcome = one('ann@example.com', /referral link/);
  const url = welcome.headers['List-Unsubscribe'].slice(1, -1);
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Unsubscribe from Shop\?/);
  assert.equal((await shop.api('GET', '/v1/email-suppressions')).body.data.length, 0, 'a GET (a link scanner) changes nothing');
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  assert.equal(r.status, 200);
  const listed = await shop.api('GET', '/v1/email-suppressions');
  assert.deepEqual(listed.body.data.map((s) => [s.email, s.reason]), [['ann@example.com', 'unsubscribed']]);
  const tampered = url.replace(/\.[\w-]+$/, '.AAAA');
  assert.equal((await fetch(tampered, { method: 'POST', body: 'List-Unsubscribe=One-Click' })).status, 404);

  const before = mail.to('ann@example.com').length;
  assert.equal((await shop.api('POST', '/v1/customers', { key: 'dora', email: 'dora@example.com', name: 'Dora', referring_customer: { key: 'ann' } })).status, 201);
  await eventually(() => mail.to('dora@example.com')[0]);
  const log = await settled();
  const joined = log.find((d) => d.message === 'friend_joined' && d.to === null && /unsubscribed/.test(d.note ?? ''));
  assert.ok(joined, JSON.stringify(log.filter((d) => d.message === 'friend_joined')));
  assert.equal(mail.to('ann@example.com').length, before, 'nothing more to Ann');
  const code = await fetch(`${worker.url}/portal/${shop.program.public_id}/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"Ann@Example.com"}' });
  assert.equal(code.status, 202);
  await eventually(() => mail.to('ann@example.com').length === before + 1);
  assert.match(mail.to('ann@example.com').at(-1).subject, /sign-in code/);
  // Removed from the list, she hears from the program again.
  assert.equal((await shop.api('DELETE', '/v1/email-suppressions/ann%40example.com')).status, 204);
  assert.equal((await shop.api('DELETE', '/v1/email-suppressions/ann%40example.com')).status, 404);
  // By hand, as the merchant's server or the owner would; both are in the audit log.
  const added = await shop.api('POST', '/v1/email-suppressions', { email: 'Zed@Example.com' });
  assert.deepEqual([added.status, added.body.email, added.body.reason], [201, 'zed@example.com', 'added']);
  const audit = await owner('GET', `/v1/programs/${shop.program.id}/audit-log?target_type=email`);
  assert.deepEqual(audit.body.data.map((e) => [e.action, e.target.id]), [['email.suppressed', 'zed@example.com'], ['email.unsuppressed', 'ann@example.com']]);
});

test('the portal in Chromium: sign in with the code from the e-mail, see the link, invite a friend', async () => {
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${worker.url}/portal/${shop.program.public_id}`);
    await page.fill('input[type=email]', 'bob@example.com');
    await page.click('text=Send me a code');
    await page.waitForSelector('input[autocomplete="one-time-code"]', { state: 'visible' });
    const sent = await eventually(() => mail.to('bob@example.com', /sign-in code/)[0]);
    const code = sent.subject.slice(0, 6);
    await page.fill('input[autocomplete="one-time-code"]', code);
    await page.press('input[autocomplete="one-time-code"]', 'Enter');
    const link = page.locator('edgeref-widget input#l');
    await link.waitFor();
    const bob = await shop.api('GET', '/v1/customers/bob');
    assert.equal(await link.inputValue(), bob.body.referral_link);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'edgeref_portal');
    assert.ok(cookie, 'the session cookie');
    assert.deepEqual([cookie.httpOnly, cookie.sameSite, cookie.path], [true, 'Lax', `/portal/${shop.program.public_id}`]);
    assert.ok(cookie.expires * 1000 - Date.now() > 29 * 86_400_000, 'about 30 days');

    await page.fill('edgeref-widget input#i', 'eve@example.com, not-an-address, ann@example.com');
    await page.click('edgeref-widget >> text=Send invitations');
    await page.locator('edgeref-widget >> text=Invitations sent: 1.').waitFor();
    const invite = await eventually(() => mail.to('eve@example.com')[0]);
    assert.equal(invite.subject, 'Bob invites you to Shop');
    assert.ok(invite.text.includes(bob.body.referral_link));
    const token = (await shop.api('POST', '/v1/customers/bob/portal-token')).body.token;
    const twice = await fetch(`${worker.url}/w/invite`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"emails":["eve@example.com"]}' });
    assert.deepEqual((await twice.json()).skipped, [{ email: 'eve@example.com', reason: 'not_sent' }], 'one invitation per address in 30 days');

    // The one-click link of a second code signs in a fresh browser at once.
    await fetch(`${worker.url}/portal/${shop.program.public_id}/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"bob@example.com"}' });
    const second = await eventually(() => mail.to('bob@example.com', /sign-in code/)[1]);
    const oneClick = second.text.match(/https?:\/\/\S+#email=\S+/)[0];
    const fresh = await (await browser.newContext()).newPage();
    await fresh.goto(oneClick);
    await fresh.locator('edgeref-widget input#l').waitFor();
    assert.equal(await fresh.locator('edgeref-widget input#l').inputValue(), bob.body.referral_link);
    assert.ok(!fresh.url().includes('code='), 'the code leaves the address bar');
  } finally {
    await browser.close();
  }
});

test('open sign-up: a new address signs in and becomes a referrer; a disposable one is refused', async () => {
  const open = await createProgram(worker, { name: 'Open', emails: SENDER, portal: { signup: 'open' } });
  const portal = (path, body) => fetch(`${worker.url}/portal/${open.program.public_id}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const disposable = await portal('/code', { email: 'temp@mailinator.com' });
  assert.equal(disposable.status, 422);
  assert.equal((await disposable.json()).error.field, 'email');
  assert.equal((await portal('/code', { email: 'Newbie@Example.com' })).status, 202);
  const code = (await eventually(() => mail.to('newbie@example.com', /sign-in code/)[0])).subject.slice(0, 6);
  const session = await portal('/session', { email: 'Newbie@Example.com', code });
  assert.equal(session.status, 200);
  assert.match(session.headers.get('set-cookie'), /^edgeref_portal=[^;]+; Path=\/portal\/\w+; Max-Age=2592000; HttpOnly; SameSite=Lax$/);
  const customers = (await open.api('GET', '/v1/customers')).body.data;
  assert.deepEqual(customers.map((c) => [c.email, c.referred_by]), [['Newbie@Example.com', null]]);
  assert.match(customers[0].key, /^cus_/);
  await eventually(() => mail.to('newbie@example.com', /referral link/)[0]);
  const events = (await open.api('GET', '/v1/events?type=customer.created')).body.data;
  assert.equal(events.length, 1, 'customer.created fired');
});

test('Resend: its wire format, with the delivery id as Idempotency-Key', async () => {
  {
    const s = await createProgram(resendWorker, { emails: SENDER });
    assert.equal((await s.api('POST', '/v1/customers', { key: 'rita', email: 'rita@example.com', name: 'Rita' })).status, 201);
    const m = await eventually(() => mail.to('rita@example.com')[0]);
    assert.equal(m.provider, 'resend');
    assert.deepEqual(m.raw.to, ['rita@example.com']);
    assert.equal(m.raw.reply_to, 'help@shop.example');
    assert.match(m.idempotencyKey, /^msg_\w+\.email:referrer_welcome$/);
    assert.equal(m.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
    assert.equal((await fetch(`${resendWorker.url}/__dev/mail`)).status, 404, 'no development mail beside a real provider');
  }
});

test('without a provider (development) every message is kept at /__dev/mail, each test message as it would be sent', async () => {
  const dev = devWorker;
  {
    const s = await createProgram(dev, { name: 'Tea & Co', emails: { ...SENDER, from_name: 'Tea & Co' }, rewards: { referrer: { type: 'fixed', amount: 500, on: 'signup' }, friend: { type: 'coupon', code: 'FRIEND10', description: '10% off your first order' } } });
    assert.equal((await s.api('POST', '/v1/customers', { key: 'dev', email: 'dev@example.com', name: 'Dev <b>' })).status, 201);
    const devOwner = client(dev.url, ADMIN_TOKEN);
    for (const message of MESSAGES) {
      const r = await devOwner('POST', `/v1/programs/${s.program.id}/emails/test`, { message, to: 'owner@shop.example' });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    }
    const kept = await eventually(async () => {
      const all = (await (await fetch(`${dev.url}/__dev/mail`, { headers: { accept: 'application/json' } })).json()).data;
      return all.length === MESSAGES.length + 1 && all;
    });
    const welcome = kept.find((m) => m.to === 'dev@example.com');
    assert.deepEqual([welcome.message, welcome.subject], ['referrer_welcome', 'Your Tea & Co referral link']);
    const tests = kept.filter((m) => m.to === 'owner@shop.example');
    assert.deepEqual(tests.map((m) => m.message).sort(), [...MESSAGES].sort(), 'one of each');
    assert.equal(tests.find((m) => m.message === 'friend_welcome').subject, 'Welcome to Tea & Co: your reward is inside');
    assert.match(tests.find((m) => m.message === 'friend_welcome').text, /10% off your first order with the code FRIEND10/);
    assert.match(tests.find((m) => m.message === 'reward_approved').subject, /^You earned €5\.00 from Tea & Co$/);
    const html = await (await fetch(`${dev.url}/__dev/mail`)).text();
    assert.ok(html.includes('Your Tea &amp; Co referral link'));
    assert.ok(!html.includes('Dev <b>'), 'kept messages are shown escaped');
    if (shots) {
      const browser = await launchBrowser();
      try {
        const page = await (await browser.newContext({ viewport: { width: 900, height: 900 } })).newPage();
        await page.goto(`${dev.url}/__dev/mail`);
        for (const message of MESSAGES) {
          const article = page.locator(`article[data-message="${message}"]`).filter({ hasText: 'owner@shop.example' });
          await article.screenshot({ path: join(shots, `${message}.png`) });
        }
      } finally {
        await browser.close();
      }
    }
  }
});

test('make dev hands the Worker the EMAIL_* variables set for this run, and only those', async () => {
  const { execFile } = await import('node:child_process');
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const dryRun = (env) => new Promise((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EMAIL_')));
    execFile('make', ['-n', '--no-print-directory', 'dev'], { cwd: root, env: { ...clean, ...env } }, (e, stdout) => (e ? reject(e) : resolve(stdout)));
  });
  const wranglerLine = (out) => out.split('\n').find((l) => l.includes('wrangler dev --ip'));
  const plain = wranglerLine(await dryRun({}));
  assert.ok(plain.includes(`--var 'EMAIL_FROM:noreply@edgeref.localhost'`), plain);
  assert.ok(!plain.includes('EMAIL_PROVIDER') && !plain.includes('EMAIL_API_'), 'no provider: /__dev/mail');
  const postmark = wranglerLine(await dryRun({ EMAIL_PROVIDER: 'postmark', EMAIL_API_TOKEN: 'tok-1', EMAIL_FROM: 'me@shop.example' }));
  for (const v of [`'EMAIL_PROVIDER:postmark'`, `'EMAIL_API_TOKEN:tok-1'`, `'EMAIL_FROM:me@shop.example'`]) assert.ok(postmark.includes(`--var ${v}`), postmark);
  assert.ok(!postmark.includes('EMAIL_API_URL'), 'a variable not set is not passed');
});
