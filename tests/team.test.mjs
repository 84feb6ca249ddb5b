// Team accounts against the real Worker (one for the file; EMAIL_PROVIDER unset, so every
// message is kept at /__dev/mail, where the codes are read): invitations and sign-in by
// e-mail code, roles decided by the one permission table (the full role × route matrix is
// the native test in edge/src/routes/tests.rs), program limits, removal ending sessions at
// once, the last owner, scoped and expiring API keys, brute-forced codes, the audit trail,
// and the dashboard's sign-in by code and Team screen in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, createProgram, client, eventually, launchBrowser, openDashboard, ADMIN_TOKEN } from './harness.mjs';

let worker, admin, shopA, shopB, browser;
const people = {};

before(async () => {
  worker = await startWorker({ vars: { EMAIL_FROM: 'team@edgeref.example' } });
  admin = client(worker.url, ADMIN_TOKEN);
  shopA = await createProgram(worker, { name: 'Shop A' });
  shopB = await createProgram(worker, { name: 'Shop B' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await worker?.stop();
});

/** The newest kept message to `to` matching `re`. */
async function mailTo(to, re = /./) {
  return eventually(async () => {
    const all = (await (await fetch(`${worker.url}/__dev/mail`, { headers: { accept: 'application/json' } })).json()).data;
    return all.find((m) => m.to === to && re.test(m.subject));
  });
}

/** Asks for a code and reads it from the mail (the newest one, after any earlier). */
async function codeFor(email) {
  const before = (await (await fetch(`${worker.url}/__dev/mail`, { headers: { accept: 'application/json' } })).json()).data.filter((m) => m.to === email).length;
  const r = await fetch(`${worker.url}/auth/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
  assert.equal(r.status, 202);
  const mail = await eventually(async () => {
    const all = (await (await fetch(`${worker.url}/__dev/mail`, { headers: { accept: 'application/json' } })).json()).data.filter((m) => m.to === email);
    return all.length > before && all[0];
  });
  assert.equal(mail.from, '"Edgeref" <team@edgeref.example>', 'team mail comes from EMAIL_FROM');
  return mail.subject.match(/^(\d{6}) is your Edgeref sign-in code$/)[1];
}

const login = (body) => fetch(`${worker.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: worker.url }, body: JSON.stringify(body) });

/** Signs a person in by code: a client sending their session cookie (and this Worker's Origin on writes). */
async function signInAs(email) {
  const r = await login({ email, code: await codeFor(email) });
  assert.equal(r.status, 200, await r.clone().text());
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const call = client(worker.url);
  const as = (method, path, body) => call(method, path, body, { cookie, origin: worker.url });
  as.cookie = cookie;
  as.user = (await r.json()).user;
  return as;
}

async function invite(email, role, programs, by = admin) {
  const r = await by('POST', '/v1/team/invitations', { email, role, ...(programs ? { programs } : {}) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

test('invitations are accepted by the first sign-in by code; GET /v1/team shows people and open invitations', async () => {
  const inv = await invite('ann@team.example', 'owner');
  assert.equal(inv.role, 'owner');
  const letter = await mailTo('ann@team.example', /invited/);
  assert.match(letter.text, /as owner\./);
  assert.match(letter.text, new RegExp(`${worker.url.replace(/[.]/g, '\\.')}/#email=ann%40team%2Eexample`));
  // Nobody else gets a code: the answer is the same 202, and no mail goes out.
  const stranger = await fetch(`${worker.url}/auth/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"eve@else.example"}' });
  assert.equal(stranger.status, 202);
  people.ann = await signInAs('ann@team.example');
  assert.equal(people.ann.user.role, 'owner');
  for (const [email, role, programs] of [['vic@team.example', 'viewer'], ['mia@team.example', 'member', [shopA.program.id]], ['bill@team.example', 'billing'], ['ada@team.example', 'admin']]) {
    await invite(email, role, programs, people.ann);
    people[email.split('@')[0]] = await signInAs(email);
  }
  await invite('late@team.example', 'viewer', null, people.ann);
  const team = await people.vic('GET', '/v1/team');
  assert.equal(team.status, 200);
  assert.deepEqual(team.body.data.map((u) => [u.email, u.role, u.programs]), [
    ['ann@team.example', 'owner', null], ['vic@team.example', 'viewer', null], ['mia@team.example', 'member', [shopA.program.id]],
    ['bill@team.example', 'billing', null], ['ada@team.example', 'admin', null]]);
  assert.ok(team.body.data.every((u) => u.id.startsWith('usr_') && u.created_at && u.last_sign_in_at));
  assert.deepEqual(team.body.invitations.map((i) => [i.email, i.role]), [['late@team.example', 'viewer']]);
  assert.equal((await fetch(`${worker.url}/__dev/mail`, { headers: { accept: 'application/json' } }).then((r) => r.json())).data.filter((m) => m.to === 'eve@else.example').length, 0);
  // The session tells the dashboard who is signed in and what they may do.
  const session = await people.mia('GET', '/auth/session');
  assert.equal(session.body.role, 'member');
  assert.deepEqual(session.body.programs, [shopA.program.id]);
  assert.equal(session.body.permissions.customers, true);
  assert.equal(session.body.permissions.api_keys, false);
});

test('a viewer writes nowhere: 403 forbidden and nothing written', async () => {
  const { vic } = people;
  const a = `/v1/programs/${shopA.program.id}`;
  assert.equal((await vic('GET', `${a}/customers`)).status, 200, 'a viewer reads');
  for (const [method, path, body] of [
    ['POST', `${a}/customers`, { key: 'v1', email: 'v1@x.example' }], ['PATCH', a, { name: 'Viewer was here' }], ['DELETE', a],
    ['POST', `${a}/api-keys`, { name: 'k' }], ['POST', `${a}/webhooks`, { url: 'https://h.example/', events: ['customer.created'] }],
    ['POST', `${a}/payouts`, { customer: { key: 'x' }, amount: 1 }], ['POST', '/v1/programs', { name: 'V', website_url: 'https://v.example/', currency: 'EUR' }],
    ['POST', '/v1/team/invitations', { email: 'x@team.example', role: 'viewer' }], ['GET', `${a}/customers.csv`],
  ]) {
    const r = await vic(method, path, body);
    assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'forbidden');
  }
  assert.equal((await admin('GET', `${a}/customers/v1`)).status, 404, 'nothing written');
  assert.equal((await admin('GET', a)).body.name, 'Shop A');
  assert.equal((await admin('GET', '/v1/programs')).body.data.length, 2);
});

test('a member limited to one program neither sees nor reads the other, and cannot create keys or invite', async () => {
  const { mia } = people;
  const list = await mia('GET', '/v1/programs');
  assert.deepEqual(list.body.data.map((p) => p.id), [shopA.program.id]);
  for (const path of [`/v1/programs/${shopB.program.id}`, `/v1/programs/${shopB.program.id}/customers`, `/v1/programs/${shopB.program.id}/stats`]) {
    const r = await mia('GET', path);
    assert.equal(r.status, 404, path);
  }
  assert.equal((await mia('POST', `/v1/programs/${shopB.program.id}/customers`, { key: 'm1', email: 'm1@x.example' })).status, 404);
  assert.equal((await mia('POST', `/v1/programs/${shopA.program.id}/customers`, { key: 'm1', email: 'm1@x.example' })).status, 201, 'a member changes customers');
  const key = await mia('POST', `/v1/programs/${shopA.program.id}/api-keys`, { name: 'mine' });
  assert.equal(key.status, 403);
  assert.equal(key.body.error.code, 'forbidden');
  assert.equal((await mia('POST', '/v1/team/invitations', { email: 'friend@team.example', role: 'viewer' })).status, 403);
  assert.equal((await mia('POST', '/v1/programs', { name: 'M', website_url: 'https://m.example/', currency: 'EUR' })).status, 403);
  // The audit log names the person.
  const log = await admin('GET', `/v1/programs/${shopA.program.id}/audit-log?action=customer.created`);
  assert.deepEqual(log.body.data[0].actor, { type: 'person', id: mia.user.id, email: 'mia@team.example' });
});

test('billing pays out and exports but cannot change tracking', async () => {
  const { bill } = people;
  const a = `/v1/programs/${shopA.program.id}`;
  const tracking = await bill('PATCH', a, { tracking: { cookie_days: 7 } });
  assert.equal(tracking.status, 403);
  assert.equal(tracking.body.error.code, 'forbidden');
  assert.equal((await bill('GET', `${a}/customers.csv`)).status, 200);
  const payout = await bill('POST', `${a}/payouts`, { customer: { key: 'm1' }, amount: 100, currency: 'EUR' });
  assert.notEqual(payout.status, 403, JSON.stringify(payout.body));
  assert.notEqual(payout.status, 401);
});

test('a read-only key reads and gets insufficient_scope on writes (nothing written); an expired key is a 401', async () => {
  const created = await people.ann('POST', `/v1/programs/${shopA.program.id}/api-keys`, { name: 'reader', scopes: ['customers:read'] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.scopes, ['customers:read']);
  const reader = client(worker.url, created.body.key);
  assert.equal((await reader('GET', '/v1/customers')).status, 200);
  const write = await reader('POST', '/v1/customers', { key: 'ro', email: 'ro@x.example' });
  assert.equal(write.status, 403);
  assert.equal(write.body.error.code, 'insufficient_scope');
  assert.equal(write.body.error.required, 'customers:write');
  assert.equal((await reader('GET', '/v1/customers.csv')).body.error.required, 'exports:read');
  assert.equal((await shopA.api('GET', '/v1/customers/ro')).status, 404, 'nothing written');
  assert.equal((await reader('GET', '/v1/me')).status, 200, '/v1/me needs no scope');
  const keys = await admin('GET', `/v1/programs/${shopA.program.id}/api-keys`);
  const listed = keys.body.data.find((k) => k.id === created.body.id);
  assert.deepEqual(listed.scopes, ['customers:read']);
  assert.ok(listed.last_used_at, 'last_used_at is kept');
  assert.equal(keys.body.data.find((k) => k.name === 'backend').scopes.length, 11, 'a key made without scopes has all of them');
  assert.equal((await admin('POST', `/v1/programs/${shopA.program.id}/api-keys`, { name: 'x', scopes: ['customers:admin'] })).status, 422);
  assert.equal((await admin('POST', `/v1/programs/${shopA.program.id}/api-keys`, { name: 'x', expires_at: '2001-01-01T00:00:00Z' })).status, 422);
  const expiring = await admin('POST', `/v1/programs/${shopA.program.id}/api-keys`, { name: 'short', expires_at: new Date(Date.now() + 3_600_000).toISOString() });
  assert.equal(expiring.status, 201);
  const short = client(worker.url, expiring.body.key);
  assert.equal((await short('GET', '/v1/me')).status, 200);
  await worker.sql(`UPDATE api_keys SET expires_at = 1 WHERE id = '${expiring.body.id}'`);
  const expired = await short('GET', '/v1/me');
  assert.equal(expired.status, 401);
  // Creating a key with scopes is audited with them.
  const log = await admin('GET', `/v1/programs/${shopA.program.id}/audit-log?action=api_key.created`);
  assert.deepEqual(log.body.data.find((e) => e.target.id === created.body.id).diff.scopes, { to: ['customers:read'] });
});

test('the last owner stays, whoever asks (the admin token too); a removed person\'s session is refused at once', async () => {
  const { ann, ada } = people;
  const annId = ann.user.id;
  for (const who of [admin, ann]) {
    const del = await who('DELETE', `/v1/team/users/${annId}`);
    assert.equal(del.status, 409, JSON.stringify(del.body));
    assert.equal((await who('PATCH', `/v1/team/users/${annId}`, { role: 'admin' })).status, 409);
  }
  assert.equal((await ada('PATCH', `/v1/team/users/${annId}`, { role: 'viewer' })).status, 403, 'an admin changes no owner');
  assert.equal((await ada('POST', '/v1/team/invitations', { email: 'o2@team.example', role: 'owner' })).status, 403, 'nor makes one');
  // An admin changes roles and program limits of others.
  const vic = await ada('PATCH', `/v1/team/users/${people.vic.user.id}`, { role: 'member', programs: [shopB.program.id] });
  assert.equal(vic.status, 200, JSON.stringify(vic.body));
  assert.deepEqual([vic.body.role, vic.body.programs], ['member', [shopB.program.id]]);
  assert.deepEqual((await people.vic('GET', '/v1/programs')).body.data.map((p) => p.id), [shopB.program.id], 'at once, in the same session');
  assert.equal((await ada('PATCH', `/v1/team/users/${people.vic.user.id}`, { programs: [shopB.program.id, 'prg_nope'] })).body.error.field, 'programs');
  // Removal: their very next request is refused.
  assert.equal((await people.bill('GET', '/v1/programs')).status, 200);
  assert.equal((await ada('DELETE', `/v1/team/users/${people.bill.user.id}`)).status, 200);
  assert.equal((await people.bill('GET', '/v1/programs')).status, 401);
  assert.equal((await people.bill('GET', '/auth/session')).status, 401);
  // With a second owner, the first may go.
  await invite('own2@team.example', 'owner', null, ann);
  people.own2 = await signInAs('own2@team.example');
  assert.equal((await people.own2('PATCH', `/v1/team/users/${annId}`, { role: 'admin' })).status, 200);
  assert.equal((await people.own2('PATCH', `/v1/team/users/${annId}`, { role: 'owner' })).status, 200);
  const audit = await admin('GET', '/v1/team/audit-log');
  const actions = audit.body.data.map((e) => e.action);
  for (const a of ['team.invited', 'team.invitation_accepted', 'team.signed_in', 'team.user_updated', 'team.user_removed']) assert.ok(actions.includes(a), a);
  const removal = audit.body.data.find((e) => e.action === 'team.user_removed');
  assert.deepEqual(removal.actor, { type: 'person', id: ada.user.id, email: 'ada@team.example' });
});

test('sessions: a person lists and ends their own; an owner anyone\'s', async () => {
  const second = await signInAs('ada@team.example');
  const mine = await second('GET', '/auth/sessions');
  assert.equal(mine.status, 200);
  assert.ok(mine.body.data.every((s) => s.email === 'ada@team.example'));
  assert.equal(mine.body.data.length, 2);
  const other = mine.body.data.find((s) => !s.current);
  assert.equal((await people.mia('DELETE', `/auth/sessions/${other.id}`)).status, 404, 'not a member\'s to end');
  assert.equal((await second('DELETE', `/auth/sessions/${other.id}`)).status, 200);
  assert.equal((await people.ada('GET', '/v1/team')).status, 401, 'that session ended');
  const all = await people.ann('GET', '/auth/sessions');
  assert.ok(new Set(all.body.data.map((s) => s.email)).size > 2, 'an owner sees everyone\'s');
  const mias = all.body.data.find((s) => s.email === 'mia@team.example');
  assert.equal((await people.ann('DELETE', `/auth/sessions/${mias.id}`)).status, 200);
  assert.equal((await people.mia('GET', '/v1/team')).status, 401);
  people.mia = await signInAs('mia@team.example');
  // Signing out ends the session row too, not just the cookie.
  const out = await fetch(`${worker.url}/auth/logout`, { method: 'POST', headers: { cookie: second.cookie, origin: worker.url } });
  assert.equal(out.status, 200);
  assert.equal((await second('GET', '/auth/session')).status, 401);
});

test('dashboard: sign-in by e-mail code; a member sees every control their role lacks disabled with the reason; the Team screen invites', async () => {
  const { context, page, problems } = await openDashboard(browser, worker);
  try {
    await page.getByLabel('E-mail').fill('mia@team.example');
    const before = (await (await fetch(`${worker.url}/__dev/mail`, { headers: { accept: 'application/json' } })).json()).data.filter((m) => m.to === 'mia@team.example').length;
    await page.getByRole('button', { name: 'Send code' }).click();
    const mail = await eventually(async () => {
      const all = (await (await fetch(`${worker.url}/__dev/mail`, { headers: { accept: 'application/json' } })).json()).data.filter((m) => m.to === 'mia@team.example');
      return all.length > before && all[0];
    });
    await page.getByLabel('Code', { exact: true }).fill(mail.subject.slice(0, 6));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Programs', level: 1 }).waitFor();
    await page.getByText('mia@team.example (member)').waitFor();
    await page.getByText('Shop A').first().waitFor();
    assert.equal(await page.getByText('Shop B').count(), 0, 'the other program is invisible');
    await page.goto(`${worker.url}/#/p/${shopA.program.id}/integration`);
    const create = page.getByRole('button', { name: 'Create API key' });
    await create.waitFor();
    assert.equal(await create.isDisabled(), true);
    await page.getByText('Your role (member) cannot manage API keys.').waitFor();
    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Invite' }).isDisabled(), true);
    await page.getByText('Your role (member) cannot manage the team.').first().waitFor();
    assert.equal(await page.getByRole('combobox', { name: 'Role of ann@team.example' }).isDisabled(), true);
    // Everywhere else too: whole forms read-only, row buttons disabled, links replaced, each with the reason.
    await page.goto(`${worker.url}/#/p/${shopA.program.id}/integration`);
    await page.getByText('Your role (member) cannot manage integrations.').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Connect Stripe' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Create webhook' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Preview widget' }).isDisabled(), false, 'a member may mint a portal token');
    await page.goto(`${worker.url}/#/p/${shopA.program.id}/settings`);
    await page.getByText('Your role (member) cannot delete programs.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save program' }).isDisabled(), false, 'a member changes settings');
    await page.goto(`${worker.url}/#/p/${shopA.program.id}/rewards`);
    await page.getByText('Your role (member) cannot export data.').first().waitFor();
    assert.equal(await page.getByRole('link', { name: 'Download rewards CSV' }).count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
  // The admin token's dashboard invites, and its Team screen lists people and invitations.
  const { context: ctx, page: owner, problems: ownerProblems } = await openDashboard(browser, worker);
  try {
    await owner.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.getByRole('heading', { name: 'Programs', level: 1 }).waitFor();
    await owner.getByRole('link', { name: 'Team' }).click();
    await owner.getByRole('cell', { name: 'ann@team.example', exact: true }).waitFor();
    const form = owner.locator('#invitations form');
    await form.getByLabel('E-mail').fill('dash@team.example');
    await form.getByLabel('Role').selectOption('billing');
    await form.getByLabel('Shop A').check();
    await form.getByRole('button', { name: 'Invite' }).click();
    await owner.getByText(/dash@team\.example as billing \(Shop A\)/).waitFor();
    if (process.env.SCREENSHOTS === '1') {
      // `make screenshots`: the Team screen for docs/dashboard.md.
      await owner.evaluate(() => { document.activeElement?.blur(); document.getElementById('status').textContent = ''; });
      await owner.screenshot({ path: new URL('../docs/screenshots/23-team.png', import.meta.url).pathname, fullPage: true });
    }
    const team = await admin('GET', '/v1/team');
    assert.deepEqual(team.body.invitations.find((i) => i.email === 'dash@team.example').programs, [shopA.program.id]);
    // The audit log's Who filter lists the people.
    await owner.goto(`${worker.url}/#/p/${shopA.program.id}/audit`);
    const who = owner.getByLabel('Who');
    await who.waitFor();
    assert.ok((await who.locator('option').allTextContents()).includes('ann@team.example'));
    assert.deepEqual(ownerProblems, []);
  } finally {
    await ctx.close();
  }
});

test('codes brute-forced are refused: five wrong tries kill the code, failures are audited; code requests are rate limited', async () => {
  const code = await codeFor('vic@team.example');
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < 5; i++) {
    const r = await login({ email: 'vic@team.example', code: wrong });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.code, 'invalid_code');
  }
  const late = await login({ email: 'vic@team.example', code });
  assert.equal(late.status, 400, 'the right code, too late');
  const audit = await admin('GET', `/v1/team/audit-log?action=team.sign_in_failed`);
  assert.ok(audit.body.data.length >= 6);
  assert.equal(audit.body.data[0].actor.email, 'vic@team.example');
  assert.equal((await login({ email: 'nobody@team.example', code: '123456' })).status, 400);
  assert.equal((await login({ email: 'vic@team.example' })).status, 400, 'an e-mail without a code is malformed');
  // Six code requests for one address in ten minutes: the sixth is refused (five above already counted one).
  let status;
  for (let i = 0; i < 6 && status !== 429; i++) {
    status = (await fetch(`${worker.url}/auth/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"vic@team.example"}' })).status;
  }
  assert.equal(status, 429);
  // Another site can neither ask for codes nor sign anyone in.
  const foreign = await fetch(`${worker.url}/auth/code`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: '{"email":"ann@team.example"}' });
  assert.equal(foreign.status, 403);
  // The admin token's own login keeps working.
  assert.equal((await login({ token: ADMIN_TOKEN })).status, 200);
  assert.equal((await login({ token: 'wrong' })).status, 401);
});
