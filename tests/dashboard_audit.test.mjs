// The dashboard's Audit log tab in headless Chromium against `wrangler dev`:
// a change made in the dashboard shows as the dashboard's, an API key's by its
// name; the changed fields, filters and older pages; never a secret.
// SCREENSHOTS=1 saves the screen to docs/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchBrowser, signedInDashboard, client, createProgram, ADMIN_TOKEN } from './harness.mjs';

const shots = process.env.SCREENSHOTS === '1' ? join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots') : null;

let worker, browser, owner;

/** A route handler answering as the API does when it cannot serve (an error object, 503). */
const unavailable = (route) => route.fulfill({
  status: 503, contentType: 'application/json',
  body: JSON.stringify({ error: { code: 'unavailable', message: 'The audit log is unavailable right now.' } }),
});
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

test('audit log: who changed what, with the changed fields, filtered and paged, never a secret', async () => {
  const { program, key, api } = await createProgram(worker, { name: 'Audit shop' });
  for (let i = 0; i < 52; i++) assert.equal((await api('POST', '/v1/customers', { key: `c${i}`, email: `c${i}@example.com` })).status, 201);
  const hook = (await api('POST', '/v1/webhooks', { name: 'Orders', url: 'https://hooks.example/in', events: ['customer.created'] })).body;
  const rotated = (await api('POST', `/v1/webhooks/${hook.id}/rotate-secret`)).body;
  await owner('PATCH', `/v1/programs/${program.id}/customers/c7`, { name: 'Seven' });
  const whsec = 'whsec_dashboard_' + Math.random().toString(36).slice(2);
  assert.equal((await owner('PUT', `/v1/programs/${program.id}/integrations/stripe`, { webhook_secret: whsec })).status, 200);

  const { context, page, problems } = await signedInDashboard(browser, worker);
  await page.getByRole('link', { name: 'Audit shop' }).click();

  // A change made in the dashboard itself: Settings → Tracking, cookie duration 30 → 60 days.
  const tracking = page.locator('#tracking');
  await tracking.getByLabel('Cookie duration in days').fill('60');
  await tracking.getByRole('button', { name: 'Save tracking' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

  await page.getByRole('navigation', { name: 'Program' }).getByRole('link', { name: 'Audit log' }).click();
  const table = page.getByRole('table', { name: 'Audit log entries' });
  await table.waitFor();
  const rows = table.locator('tbody tr');
  // The table is on screen before its first page arrives: wait for the rows (appended at once).
  await rows.first().waitFor();
  assert.equal(await rows.count(), 50, 'the newest page');
  const cells = async (i) => (await rows.nth(i).locator('td').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  const [when, who, action, target, fields] = await cells(0);
  assert.match(when, /\d{4}/);
  assert.deepEqual([who, action, target, fields], ['Dashboard', 'program.updated', `program ${program.id}`, 'tracking.cookie_days: 30 → 60']);
  assert.deepEqual((await cells(1)).slice(1), ['Admin token', 'integration.enabled', 'integration stripe', 'webhook_secret: set to [redacted]']);
  assert.deepEqual((await cells(2)).slice(1), ['Admin token', 'customer.updated', 'customer c7', 'name: empty → Seven']);
  assert.deepEqual((await cells(3)).slice(1), [`API key “backend” ${key.id}`, 'webhook.secret_rotated', `webhook ${hook.id}`, 'secret: [redacted] → [redacted]']);
  assert.deepEqual((await cells(5)).slice(2, 4), ['customer.created', 'customer c51']);
  assert.match((await cells(5))[4], /^email: set to c51@example\.com referral_code: set to \w+$/, 'only the fields that were set');
  if (shots) {
    await page.evaluate(() => { document.activeElement?.blur(); document.getElementById('status').textContent = ''; window.scrollTo(0, 0); });
    const box = await page.locator('#audit').boundingBox();
    const eighth = await rows.nth(8).boundingBox();
    await page.screenshot({ path: join(shots, '15-audit-log.png'), fullPage: true, clip: { x: box.x, y: box.y, width: box.width, height: eighth.y - box.y } });
  }

  // Older changes, a page at a time: 52 customers, the webhook, its rotation, an edit, Stripe, the key, the program, the dashboard's edit.
  // A page that fails says so in place, keeps the rows shown, and is asked for again with the same button.
  const older = page.getByRole('button', { name: 'Load older changes' });
  const alert = page.locator('#audit').getByRole('alert');
  await page.route((url) => url.pathname.endsWith('/audit-log') && url.searchParams.has('cursor'), unavailable, { times: 1 });
  await older.click();
  await alert.filter({ hasText: 'The audit log is unavailable right now.' }).waitFor();
  assert.equal(await rows.count(), 50, 'the rows shown are kept');
  await older.click();
  await rows.nth(50).waitFor();
  assert.equal(await rows.count(), 59);
  assert.equal(await alert.count(), 0, 'the failure goes once the page arrives');
  assert.equal(await older.isHidden(), true);
  const text = await page.locator('#audit').innerText();
  assert.match(text, /webhook\.secret_rotated/);
  assert.match(text, /secret: \[redacted\] → \[redacted\]/);
  for (const secret of [hook.secret, rotated.secret, key.key, whsec]) assert.equal(text.includes(secret), false, 'no secret on screen');

  // Filters: one API key's changes; then one customer's history.
  const form = page.getByRole('form', { name: 'Filter the audit log' });
  await form.getByLabel('Who').selectOption({ label: 'API key “backend”' });
  await form.getByLabel('Action').selectOption('webhook.created');
  await form.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#audit tbody tr').length === 1);
  assert.deepEqual((await cells(0)).slice(1, 4), [`API key “backend” ${key.id}`, 'webhook.created', `webhook ${hook.id}`]);
  await form.getByRole('button', { name: 'Clear' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#audit tbody tr').length === 50);
  await form.getByLabel('Changed').selectOption('customer');
  await form.getByLabel('Id or key').fill('c7');
  await form.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#audit tbody tr').length === 2);
  assert.deepEqual((await rows.allInnerTexts()).map((t) => t.includes('customer.updated')), [true, false]);
  await form.getByLabel('Id or key').fill('nobody');
  await form.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No changes match.').waitFor();

  // A first page that fails: only the failure, and a button to try again.
  await page.route((url) => url.pathname.endsWith('/audit-log'), unavailable, { times: 1 });
  await form.getByRole('button', { name: 'Clear' }).click();
  await alert.filter({ hasText: 'The audit log is unavailable right now.' }).waitFor();
  assert.equal(await page.getByText('No changes match.').isHidden(), true, 'not “no changes”: they could not be read');
  assert.equal(await table.isHidden(), true);
  await page.getByRole('button', { name: 'Try again' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#audit tbody tr').length === 50);
  assert.equal(await alert.count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});
