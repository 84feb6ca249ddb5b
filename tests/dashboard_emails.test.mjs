// The dashboard's e-mails in headless Chromium against `wrangler dev` (EMAIL_PROVIDER=dev,
// which keeps each message at /__dev/mail): Settings → E-mails (a sender, switching e-mails
// on, a template the API refuses and one it takes, a preview whose HTML shows the program's
// name as text, reset to default, a test e-mail), the E-mails screen (the delivery log with
// the test in it, resend; unsubscribed addresses added, paged, exported and removed) and
// Settings → Portal (open sign-up). SCREENSHOTS=1 saves the screens to docs/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchBrowser, signedInDashboard, client, createProgram, eventually, ADMIN_TOKEN } from './harness.mjs';

const shots = process.env.SCREENSHOTS === '1' ? join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots') : null;
// A program name with markup: every place it shows (the preview's HTML above all) must show it as text.
const NAME = 'Acme <img src=x onerror=alert(1)>';

let worker, browser, owner;
before(async () => {
  worker = await startWorker();
  browser = await launchBrowser();
  owner = client(worker.url, ADMIN_TOKEN);
  if (shots) await mkdir(shots, { recursive: true });
});
after(async () => {
  await browser?.close();
  await worker?.stop();
});

/** Clicks `button` and waits for the API's answer to `method` on a URL containing `pathPart`. */
async function clickFor(page, button, method, pathPart) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && r.url().includes(pathPart)),
    button.click(),
  ]);
  return response;
}

/** Saves `part` of the page without focus rings or a passing status message. */
async function screenshot(page, name, part) {
  if (!shots) return;
  await page.evaluate(() => { document.activeElement?.blur(); document.getElementById('status').textContent = ''; });
  await part.screenshot({ path: join(shots, `${name}.png`) });
}

/** The messages the dev provider kept (newest last or first: callers search them). */
async function devMail() {
  const r = await fetch(`${worker.url}/__dev/mail`, { headers: { accept: 'application/json' } });
  assert.equal(r.status, 200, 'EMAIL_PROVIDER=dev keeps the mail');
  const body = await r.json();
  return Array.isArray(body) ? body : body.data ?? body.messages;
}

const toOf = (m) => m.to ?? m.to_address;

test('e-mails: a sender, templates checked and previewed, a test in the log, unsubscribed addresses, open portal sign-up', async () => {
  const { program } = await createProgram(worker, { name: NAME });
  const programPath = `/v1/programs/${program.id}`;
  const { context, page, problems } = await signedInDashboard(browser, worker, { viewport: { width: 1024, height: 900 }, acceptDownloads: true });
  await page.getByRole('link', { name: NAME }).click();
  const nav = page.getByRole('navigation', { name: 'Program' });

  // A new program sends no e-mail: the E-mails screen says so and links to the settings.
  await nav.getByRole('link', { name: 'E-mails' }).click();
  const notice = page.locator('#emails-off');
  await notice.getByText('E-mails are off for this program').waitFor();
  await notice.getByRole('link', { name: 'Settings → E-mails' }).click();
  const emails = page.locator('#emails');
  await emails.getByRole('heading', { name: 'E-mails', level: 2 }).and(page.locator(':focus')).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Settings' }).getAttribute('aria-current'), 'page');
  await emails.getByText('off: this program sends no e-mail').waitFor();

  // Switching e-mails on without a sender: the API's error, shown at the From address.
  const sender = emails.getByRole('form', { name: 'E-mail sender' });
  const from = sender.getByLabel('From address');
  await sender.getByLabel('Send e-mails from this program').check();
  assert.equal((await clickFor(page, sender.getByRole('button', { name: 'Save e-mail settings' }), 'PATCH', program.id)).status(), 422);
  await from.and(page.locator('[aria-invalid="true"]')).waitFor();
  assert.match(await sender.locator(`#${await from.getAttribute('id')}-error`).textContent(), /from_address/);
  await from.fill('rewards@shop.example');
  await sender.getByLabel('From name').fill('Acme Rewards');
  const [patch] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith(programPath)),
    sender.getByRole('button', { name: 'Save e-mail settings' }).click(),
  ]);
  assert.deepEqual(patch.postDataJSON(), { emails: { enabled: true, from_address: 'rewards@shop.example', from_name: 'Acme Rewards' } }, 'only what changed');
  await emails.getByText('sent from rewards@shop.example').waitFor();
  assert.equal(await from.getAttribute('aria-invalid'), null);
  let state = (await owner('GET', programPath)).body.emails;
  assert.deepEqual([state.enabled, state.from_address, state.from_name, state.reply_to], [true, 'rewards@shop.example', 'Acme Rewards', null]);

  // Seven messages, each with a title, when it is sent, and the placeholders it knows.
  assert.equal(await emails.locator('details.message').count(), 7);
  const joined = emails.locator('#email-friend_joined');
  await joined.locator('summary').click();
  const template = joined.getByRole('form', { name: 'A friend joined: template' });
  const body = template.getByLabel('Body');
  assert.match(await body.inputValue(), /\{\{friend_name\}\}/, 'the default body');
  assert.deepEqual(await template.locator('.placeholders button').allTextContents(), state.messages.friend_joined.placeholders.map((p) => `{{${p}}}`));

  // A placeholder this message does not know: refused, the error next to the body.
  await body.fill('Hi {{name}}, use {{coupon}}.');
  assert.equal((await clickFor(page, template.getByRole('button', { name: 'Save message' }), 'PATCH', program.id)).status(), 422);
  await body.and(page.locator('[aria-invalid="true"]')).waitFor();
  assert.match(await template.locator(`#${await body.getAttribute('id')}-error`).textContent(), /unknown placeholder \{\{coupon\}\}/);
  assert.equal((await owner('GET', programPath)).body.emails.messages.friend_joined.body, state.messages.friend_joined.body, 'nothing saved');

  // A placeholder chip goes in where the cursor is; the preview renders what the form holds (unsaved).
  await body.fill('Hi {{name}}, <b>good news</b>: ');
  await body.press('End');
  await template.getByRole('button', { name: '{{friend_name}}' }).click();
  await body.press('End');
  await body.pressSequentially(' joined {{program_name}}.');
  assert.equal(await body.inputValue(), 'Hi {{name}}, <b>good news</b>: {{friend_name}} joined {{program_name}}.');
  assert.equal((await clickFor(page, template.getByRole('button', { name: 'Preview' }), 'POST', '/emails/preview')).status(), 200);
  const shown = joined.locator('.email-preview');
  await shown.locator('.preview-subject').waitFor();
  assert.match(await shown.locator('.preview-subject').textContent(), new RegExp(`joined ${NAME.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(await shown.locator('pre').textContent(), /<b>good news<\/b>: .+ joined Acme <img src=x onerror=alert\(1\)>\./);
  const frame = shown.locator('iframe');
  assert.equal(await frame.getAttribute('sandbox'), '', 'no script, no same origin');
  const html = page.frameLocator('#email-friend_joined iframe').locator('body');
  await html.getByText('good news').waitFor();
  assert.match(await html.innerText(), /Hi .+, <b>good news<\/b>: .+ joined Acme <img src=x onerror=alert\(1\)>\./, 'markup arrives as text');
  assert.equal(await html.locator('img, b').count(), 0);
  assert.equal((await owner('GET', programPath)).body.emails.messages.friend_joined.body, state.messages.friend_joined.body, 'a preview saves nothing');

  // Saved: only the body goes.
  const [saved] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith(programPath)),
    template.getByRole('button', { name: 'Save message' }).click(),
  ]);
  assert.deepEqual(saved.postDataJSON(), { emails: { messages: { friend_joined: { body: 'Hi {{name}}, <b>good news</b>: {{friend_name}} joined {{program_name}}.' } } } });
  await eventually(async () => (await owner('GET', programPath)).body.emails.messages.friend_joined.body.startsWith('Hi {{name}}, <b>good news</b>'));
  if (shots) {
    // Chromium paints a frame only on screen: the whole card, preview included, in one viewport.
    const { y, height } = await emails.evaluate((el) => { el.scrollIntoView(); const r = el.getBoundingClientRect(); return { y: r.y + scrollY, height: r.height }; });
    await page.setViewportSize({ width: 1024, height: Math.ceil(y + height + 16) });
    await screenshot(page, '20-email-settings', emails);
    await page.setViewportSize({ width: 1024, height: 900 });
  }

  // Payout sent, switched off: only that switch goes.
  const payout = emails.locator('#email-payout_sent');
  await payout.locator('summary').click();
  await payout.getByLabel('Send this message').uncheck();
  const [off] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith(programPath)),
    payout.getByRole('button', { name: 'Save message' }).click(),
  ]);
  assert.deepEqual(off.postDataJSON(), { emails: { messages: { payout_sent: { enabled: false } } } });
  await payout.locator('summary .badge.off').waitFor();
  assert.equal((await owner('GET', programPath)).body.emails.messages.payout_sent.enabled, false);

  // A test of the saved message to the owner, through the outbox to the dev provider.
  const test = joined.getByRole('form', { name: 'A friend joined: send a test' });
  await test.getByLabel('Send a test to').fill('owner@shop.example');
  assert.equal((await clickFor(page, test.getByRole('button', { name: 'Send me a test' }), 'POST', '/emails/test')).status(), 202);
  await test.getByText('Queued: “A friend joined” to owner@shop.example.').waitFor();
  const mail = await eventually(async () => (await devMail()).find((m) => toOf(m) === 'owner@shop.example'));
  assert.match(JSON.stringify(mail), /good news/, 'the saved template');

  // Reset to default: the subject and body go back to Edgeref's, and the form shows them.
  const [reset] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith(programPath)),
    template.getByRole('button', { name: 'Reset to default' }).click(),
  ]);
  assert.deepEqual(reset.postDataJSON(), { emails: { messages: { friend_joined: { subject: null, body: null } } } });
  await page.waitForFunction(() => document.querySelector('#email-friend_joined textarea').value.includes('just joined'));
  assert.equal((await owner('GET', programPath)).body.emails.messages.friend_joined.body, state.messages.friend_joined.body);

  // The delivery log: the test, delivered, with the message's title; Resend sends it again.
  await test.getByRole('link', { name: 'Follow it in the e-mail log' }).click();
  const log = page.getByRole('table', { name: 'E-mail deliveries' });
  const row = log.locator('tbody tr').filter({ hasText: 'owner@shop.example' });
  await row.filter({ hasText: 'succeeded' }).waitFor(); // the log re-reads itself while a delivery waits
  assert.match(await row.innerText(), /A friend joined/);
  assert.equal(await page.locator('#emails-off').count(), 0, 'e-mails are on: no notice');
  const before = (await devMail()).filter((m) => toOf(m) === 'owner@shop.example').length;
  assert.equal((await clickFor(page, row.getByRole('button', { name: 'Resend A friend joined to owner@shop.example' }), 'POST', '/resend')).status(), 202);
  await eventually(async () => (await devMail()).filter((m) => toOf(m) === 'owner@shop.example').length > before);

  // Unsubscribed addresses: one added by hand in the dashboard.
  const blocked = page.locator('#suppressions');
  await blocked.getByText('Nobody has unsubscribed.').waitFor();
  const add = blocked.getByRole('form', { name: 'Add an address' });
  await add.getByLabel('Address').fill('ann+news@example.com');
  assert.equal((await clickFor(page, add.getByRole('button', { name: 'Add address' }), 'POST', '/email-suppressions')).status(), 201);
  const list = blocked.getByRole('table', { name: 'Unsubscribed addresses' });
  await list.getByRole('row').filter({ hasText: 'ann+news@example.com' }).filter({ hasText: 'Added by you' }).waitFor();
  assert.equal(await add.getByLabel('Address').inputValue(), '', 'the form is ready for the next');
  await screenshot(page, '21-emails', page.locator('main'));

  // 51 more through the API (one a spreadsheet would run as a formula): the list shows 50, then the rest.
  const formula = '=1+2@evil.example';
  for (let i = 0; i < 51; i++) assert.equal((await owner('POST', `${programPath}/email-suppressions`, { email: i === 7 ? formula : `gone${i}@example.com` })).status, 201);
  await page.reload();
  await list.locator('tbody tr').nth(49).waitFor();
  assert.equal(await list.locator('tbody tr').count(), 50);
  await blocked.getByRole('button', { name: 'Load more addresses' }).click();
  await list.locator('tbody tr').nth(51).waitFor();

  // Export CSV reads every page (made 20 rows long here, so it takes three) into one file.
  await page.route((url) => url.pathname.endsWith('/email-suppressions') && url.searchParams.get('limit') === '250', (route) => {
    const url = new URL(route.request().url());
    url.searchParams.set('limit', '20');
    return route.continue({ url: url.toString() });
  });
  const [download] = await Promise.all([page.waitForEvent('download'), blocked.getByRole('button', { name: 'Export CSV' }).click()]);
  assert.equal(download.suggestedFilename(), 'email-suppressions.csv');
  const csv = (await readFile(await download.path(), 'utf8')).trim().split('\r\n');
  assert.equal(csv[0], 'email,reason,created_at');
  assert.equal(csv.length, 53);
  assert.equal(new Set(csv.slice(1).map((l) => l.split(',')[0])).size, 52, 'every address once');
  assert.ok(csv.some((l) => l.startsWith('ann+news@example.com,added,')));
  assert.ok(csv.some((l) => l.startsWith(`'${formula},added,`)), 'defused for spreadsheets');
  await blocked.getByText('52 addresses exported.').waitFor();

  // Remove sends the address escaped, and it is gone.
  const removed = await clickFor(page, list.getByRole('button', { name: 'Remove ann+news@example.com' }), 'DELETE', '/email-suppressions/');
  assert.equal(removed.status(), 204);
  assert.ok(removed.url().endsWith('/email-suppressions/ann%2Bnews%40example.com'), removed.url());
  await list.getByRole('row').filter({ hasText: 'ann+news@example.com' }).waitFor({ state: 'detached' });
  const all = [];
  for (let cursor = null, first = true; first || cursor; first = false) {
    const one = (await owner('GET', `${programPath}/email-suppressions?limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body;
    all.push(...one.data.map((s) => s.email));
    cursor = one.next_cursor;
  }
  assert.equal(all.length, 51);
  assert.equal(all.includes('ann+news@example.com'), false);

  // Settings → Portal: the address, and open sign-up, kept across a reload.
  await nav.getByRole('link', { name: 'Settings' }).click();
  const portal = page.locator('#portal');
  assert.equal(await portal.locator('#portal-url').textContent(), `${worker.url}/portal/${program.public_id}`);
  assert.equal(await portal.getByRole('radio', { name: /Customers only/ }).isChecked(), true);
  await portal.getByRole('radio', { name: /Anyone \(open sign-up\)/ }).check();
  const [signup] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith(programPath)),
    portal.getByRole('button', { name: 'Save portal' }).click(),
  ]);
  assert.deepEqual(signup.postDataJSON(), { portal: { signup: 'open' } });
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  assert.equal((await owner('GET', programPath)).body.portal.signup, 'open');
  await screenshot(page, '22-portal-settings', portal);
  await page.reload();
  await page.locator('#portal').getByRole('radio', { name: /Anyone \(open sign-up\)/ }).and(page.locator(':checked')).waitFor();

  assert.deepEqual(problems, []);
  await context.close();
});
