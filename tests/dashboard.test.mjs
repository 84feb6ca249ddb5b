// The owner's dashboard, screen by screen in the order an owner meets them, in
// headless Chromium against `wrangler dev`: what the page shows, and what the
// API then holds. SCREENSHOTS=1 saves each screen to docs/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchBrowser, startReceiver, client, eventually, openDashboard as openHarnessDashboard, signIn, ADMIN_TOKEN, DESKTOP_UA } from './harness.mjs';

const shots = process.env.SCREENSHOTS === '1' ? join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots') : null;
const XSS_NAME = '<img src=x onerror=alert(1)>';

let worker, browser, receiver, owner;

before(async () => {
  worker = await startWorker();
  browser = await launchBrowser();
  receiver = await startReceiver();
  owner = client(worker.url, ADMIN_TOKEN);
  if (shots) await mkdir(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  await receiver?.stop();
  await worker?.stop();
});

/** The dashboard's sign-in page in a fresh profile that may use the clipboard (the copy buttons). */
async function openDashboard() {
  const opened = await openHarnessDashboard(browser, worker);
  await opened.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: worker.url });
  return opened;
}

/** Saves the page (or one part of it) without focus rings or a passing status message. */
async function screenshot(page, name, part) {
  if (!shots) return;
  await page.evaluate(() => { document.activeElement?.blur(); document.getElementById('status').textContent = ''; });
  const path = join(shots, `${name}.png`);
  await (part ? part.screenshot({ path }) : page.screenshot({ path, fullPage: true }));
}

/** Clicks `button` and waits for the API answer to `method path`. */
async function clickFor(page, button, method, pathPart) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && r.url().includes(pathPart)),
    button.click(),
  ]);
  return response;
}

async function sessionCookie(context) {
  return (await context.cookies()).find((c) => c.name === 'edgeref_session');
}

/** A session cookie value as the Worker signs it (shared/src/session.rs), for expiry tests. */
function forgeSession(expiresAt, token = ADMIN_TOKEN) {
  const key = createHash('sha256').update('edgeref/session/v1\0').update(token).digest();
  return `${expiresAt}.${createHmac('sha256', key).update(`session.${expiresAt}`).digest('base64url')}`;
}

test('the dashboard page is locked down: CSP without inline script, nothing from elsewhere', async () => {
  const r = await fetch(`${worker.url}/`);
  assert.equal(r.status, 200);
  const csp = r.headers.get('content-security-policy');
  assert.match(csp ?? '', /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  // Nothing inline runs: the one inline thing allowed is a style attribute (the e-mail preview's HTML, docs/emails.md).
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  assert.deepEqual(Object.entries(directives).filter(([, values]) => values.includes("'unsafe-inline'")).map(([name]) => name), ['style-src-attr']);
  assert.equal(directives['script-src'], undefined, "script falls back to default-src 'self'");
  assert.deepEqual(directives['style-src'], ["'self'"], 'no inline <style>');
  const html = await r.text();
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline <script>');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  assert.doesNotMatch(html, /https?:\/\//, 'no third-party URLs');
  const js = await fetch(`${worker.url}/dashboard/app.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /javascript/);
  assert.equal((await fetch(`${worker.url}/_headers`)).status, 404, 'the headers file itself is not served');
  assert.equal((await fetch(`${worker.url}/dashboard/package.json`)).status, 404, 'nor what www/.assetsignore lists');
});

test('sign-in: a wrong token is refused; the admin token gives an HttpOnly, SameSite=Strict 12-hour session', async () => {
  const { context, page, problems } = await openDashboard();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await screenshot(page, '01-sign-in');

  await page.getByLabel('Admin token').fill('not-the-token');
  const refused = await clickFor(page, page.getByRole('button', { name: 'Sign in' }), 'POST', '/auth/login');
  assert.equal(refused.status(), 401);
  await page.getByRole('alert').filter({ hasText: 'not the admin token' }).waitFor();
  assert.equal(await sessionCookie(context), undefined);
  await page.getByLabel('Admin token').and(page.locator('[aria-invalid="true"]')).waitFor();

  await signIn(page);
  const cookie = await sessionCookie(context);
  assert.ok(cookie, 'session cookie set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.secure, false, 'Secure only on https');
  assert.equal(cookie.path, '/');
  const lifetime = cookie.expires - Date.now() / 1000;
  assert.ok(Math.abs(lifetime - 12 * 3600) < 120, `expires in 12 h, got ${lifetime}s`);
  assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a session cookie authenticates reads, but writes only with this Worker as Origin', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cookie = `edgeref_session=${forgeSession(now + 3600)}`;
  const body = JSON.stringify({ name: 'Via cookie', website_url: 'https://cookie.example/' });
  const post = (headers) => fetch(`${worker.url}/v1/programs`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, ...headers }, body });

  assert.equal((await fetch(`${worker.url}/v1/programs`, { headers: { cookie } })).status, 200);
  const foreign = await post({ origin: 'https://evil.example' });
  assert.equal(foreign.status, 403);
  assert.equal((await foreign.json()).error.code, 'forbidden');
  assert.equal((await post({})).status, 403, 'no Origin, no cookie write');
  assert.equal((await post({ origin: worker.url.replace('127.0.0.1', 'localhost') })).status, 403);
  const own = await post({ origin: worker.url });
  assert.equal(own.status, 201);
  const { id } = await own.json();
  assert.equal((await fetch(`${worker.url}/v1/programs/${id}`, { method: 'DELETE', headers: { cookie, origin: 'https://evil.example' } })).status, 403);
  assert.equal((await owner('GET', `/v1/programs/${id}`)).status, 200, 'the refused delete changed nothing');
  assert.equal((await owner('DELETE', `/v1/programs/${id}`)).status, 200);

  for (const bad of [forgeSession(now - 1), forgeSession(now + 3600, 'another-token'), `${now + 3600}.forged`, 'garbage']) {
    assert.equal((await fetch(`${worker.url}/v1/programs`, { headers: { cookie: `edgeref_session=${bad}` } })).status, 401, bad);
  }
  const login = await fetch(`${worker.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
  assert.equal(login.status, 403, 'no login from other sites');
});

test('an expired session sends the owner back to sign-in, saying why', async () => {
  const { context, page } = await openDashboard();
  await signIn(page);
  const { domain, path } = await sessionCookie(context);
  await context.addCookies([{ name: 'edgeref_session', value: forgeSession(Math.floor(Date.now() / 1000) - 1), domain, path, httpOnly: true, sameSite: 'Strict' }]);
  await page.getByRole('link', { name: 'Create program' }).click();
  await page.getByRole('button', { name: 'Create' }).waitFor();
  await page.getByLabel('Program name').fill('Late');
  await page.getByLabel('Website URL').fill('https://late.example/');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByText('Your session has ended').waitFor();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal((await owner('GET', '/v1/programs')).body.data.some((p) => p.name === 'Late'), false);
  await context.close();
});

test('the owner walks through every screen: create, settings, integration, customers, results, delete', async () => {
  const { context, page, problems } = await openDashboard();
  await signIn(page);
  await page.getByText('No programs yet').waitFor();

  // Programs → Create program → Refer-a-Friend, name and website URL → Create.
  await page.getByRole('link', { name: 'Create program' }).click();
  assert.equal(await page.getByLabel(/Refer-a-Friend/).isChecked(), true);
  await page.getByLabel('Program name').fill('Acme shop');
  await page.getByLabel('Website URL').fill('https://acme.example/');
  await screenshot(page, '03-create-program');
  const created = await clickFor(page, page.getByRole('button', { name: 'Create' }), 'POST', '/v1/programs');
  assert.equal(created.status(), 201);
  const program = await created.json();
  await page.getByRole('heading', { name: 'Acme shop', level: 1 }).waitFor();
  const settings = page.getByRole('navigation', { name: 'Program' }).getByRole('link', { name: 'Settings' });
  assert.equal(await settings.getAttribute('aria-current'), 'page');

  // Settings → Program: rename, and sell in euros (possible until the first transaction).
  const programSection = page.locator('#program');
  assert.equal(await programSection.getByLabel('Currency').inputValue(), 'USD');
  await programSection.getByLabel('Program name').fill('Acme store');
  await programSection.getByLabel('Currency').selectOption('EUR');
  assert.equal((await clickFor(page, programSection.getByRole('button', { name: 'Save program' }), 'PATCH', program.id)).status(), 200);
  await page.getByRole('heading', { name: 'Acme store', level: 1 }).waitFor();
  assert.equal((await owner('GET', `/v1/programs/${program.id}`)).body.currency, 'EUR');

  // Settings → Tracking: Link format, parameter "a", lifetime cookie; the preview follows live.
  const tracking = page.locator('#tracking');
  const preview = tracking.locator('#link-preview');
  assert.equal(await preview.textContent(), 'https://acme.example/?ref=xxxyyy');
  await tracking.getByRole('radio', { name: /Link: yourdomain/ }).check();
  assert.equal(await preview.textContent(), 'https://acme.example/ref/xxxyyy');
  await tracking.getByLabel('Parameter name').fill('a');
  assert.equal(await preview.textContent(), 'https://acme.example/a/xxxyyy');
  await tracking.getByRole('radio', { name: /Lifetime/ }).check();
  assert.equal(await tracking.getByLabel('Cookie duration in days').isDisabled(), true);
  await tracking.getByLabel('First click wins').check();
  // First-party tracking: the cookie domain defaults to the website's registrable domain (the placeholder);
  // an endpoint moves the snippet, beacons and short links onto the shop's own site. The preview follows.
  const cookieDomain = tracking.getByLabel('Cookie domain');
  assert.equal(await cookieDomain.getAttribute('placeholder'), 'acme.example');
  assert.equal(await tracking.locator('#cookie-preview').textContent(), 'acme.example and its subdomains');
  assert.equal(await tracking.locator('#endpoint-preview').textContent(), `${worker.url} (short links like ${worker.url}/r/xxxyyy)`);
  const endpoint = tracking.getByLabel('First-party endpoint');
  await endpoint.fill('https://acme.example/_edgeref?x=1');
  assert.equal((await clickFor(page, tracking.getByRole('button', { name: 'Save tracking' }), 'PATCH', program.id)).status(), 422);
  // The page marks the field after the answer arrives: wait for the mark, not for the answer.
  await endpoint.and(page.locator('[aria-invalid="true"]')).waitFor(); // the API names tracking.endpoint
  await endpoint.fill('https://acme.example/_edgeref/');
  assert.equal(await tracking.locator('#endpoint-preview').textContent(), 'https://acme.example/_edgeref (short links like https://acme.example/_edgeref/r/xxxyyy)');
  assert.equal((await clickFor(page, tracking.getByRole('button', { name: 'Save tracking' }), 'PATCH', program.id)).status(), 200);
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  let state = (await owner('GET', `/v1/programs/${program.id}`)).body;
  assert.equal(state.name, 'Acme store');
  assert.deepEqual(state.tracking, { link_format: 'path', param: 'a', cookie_days: null, attribution: 'first_click', cookie_domain: null, endpoint: 'https://acme.example/_edgeref', consent: 'not_required', visit_retention_days: 400 });
  assert.equal(state.default_cookie_domain, 'acme.example');

  // An invalid parameter is refused by the API and the field is marked.
  await tracking.getByLabel('Parameter name').fill('a b');
  await tracking.getByRole('button', { name: 'Save tracking' }).click(); // the browser's own pattern check stops it
  assert.equal(await tracking.getByLabel('Parameter name').evaluate((el) => el.validity.patternMismatch), true);
  await tracking.getByLabel('Parameter name').fill('a');

  // Settings → Rewards: 5.00 per referred signup for the referrer, a coupon for the friend.
  const rewards = page.locator('#rewards');
  const referrer = rewards.getByRole('group', { name: /Referrer reward/ });
  const friend = rewards.getByRole('group', { name: /Friend reward/ });
  await referrer.getByLabel('Type').selectOption('fixed');
  await referrer.getByLabel('Amount in minor units').fill('500');
  await referrer.getByLabel('Earned').selectOption('signup');
  await friend.getByLabel('Type').selectOption('coupon');
  await friend.getByLabel('Coupon code').fill('FRIEND10');
  await friend.getByLabel('Description').fill('10 % off your first order');
  assert.equal((await clickFor(page, rewards.getByRole('button', { name: 'Save rewards' }), 'PATCH', program.id)).status(), 200);
  state = (await owner('GET', `/v1/programs/${program.id}`)).body;
  assert.deepEqual(state.rewards, {
    referrer: { type: 'fixed', amount: 500, on: 'signup' },
    friend: { type: 'coupon', code: 'FRIEND10', description: '10 % off your first order' },
    hold_days: 0,
    approval: 'auto',
    max_per_referrer_per_day: null,
    fulfilment: { referrer: 'manual' },
  });
  await screenshot(page, '04-settings');

  // Integration → the universal snippet, copied to the clipboard.
  await page.getByRole('link', { name: 'Integration' }).click();
  await page.getByRole('heading', { name: 'Universal tracking snippet' }).waitFor();
  // The endpoint set above: the tag loads from the shop's own site.
  assert.equal(state.snippet, `<script async src="https://acme.example/_edgeref/s/${program.public_id}.js"></script>`);
  assert.equal(await page.locator('#snippet-code').textContent(), state.snippet);
  await page.getByText('just before the closing').waitFor();
  await page.getByRole('button', { name: 'Copy snippet' }).click();
  await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), state.snippet);

  // Integration → API keys: the key is shown once and works.
  const keys = page.locator('#api-keys');
  await keys.getByLabel('Key name').fill('backend');
  const keyResponse = await clickFor(page, keys.getByRole('button', { name: 'Create API key' }), 'POST', '/api-keys');
  assert.equal(keyResponse.status(), 201);
  const secret = (await keys.locator('#new-api-key').textContent()).trim();
  assert.match(secret, /^erk_/);
  await keys.getByRole('cell', { name: `${secret.slice(0, 12)}…` }).waitFor();
  await screenshot(page, '06-api-keys', keys);
  const api = client(worker.url, secret);
  assert.equal((await api('GET', '/v1/me')).status, 200, 'the shown key is the real key');
  // A second key, revoked from its row.
  await keys.getByLabel('Key name').fill('temporary');
  await clickFor(page, keys.getByRole('button', { name: 'Create API key' }), 'POST', '/api-keys');
  // The response is in; wait until the page shows the new key, not the previous one.
  await page.waitForFunction((old) => document.querySelector('#new-api-key')?.textContent.trim() !== old, secret);
  const temporary = client(worker.url, (await keys.locator('#new-api-key').textContent()).trim());
  assert.equal((await temporary('GET', '/v1/me')).status, 200);
  assert.equal((await clickFor(page, keys.getByRole('button', { name: 'Revoke API key temporary' }), 'DELETE', '/api-keys/')).status(), 200);
  await keys.getByRole('button', { name: 'Revoke API key temporary' }).waitFor({ state: 'detached' });
  assert.equal(await keys.locator('#new-api-key').count(), 0, 'a revoked key is no longer shown');
  assert.equal((await temporary('GET', '/v1/me')).status, 401);
  assert.deepEqual((await owner('GET', `/v1/programs/${program.id}/api-keys`)).body.data.map((k) => k.name), ['backend']);

  // Integration → Webhooks: two events, the signing secret once, a test event in the delivery log.
  const hooks = page.locator('#webhooks');
  await hooks.getByRole('button', { name: 'Create webhook' }).click();
  await hooks.getByLabel('Webhook name').fill('CRM');
  await hooks.getByLabel('Endpoint URL').fill(`${receiver.url}/edgeref`);
  await hooks.getByLabel('customer.created').check();
  await hooks.getByLabel('transaction.created').check();
  assert.equal(await hooks.getByRole('checkbox').count(), 10, 'all ten events are offered');
  const hookResponse = await clickFor(page, hooks.getByRole('button', { name: 'Create', exact: true }), 'POST', '/webhooks');
  assert.equal(hookResponse.status(), 201);
  assert.match(await hooks.locator('#new-webhook-secret').textContent(), /^whsec_/);
  const card = hooks.getByRole('article', { name: 'Webhook CRM' });
  await card.getByText('customer.created, transaction.created').waitFor();
  let hookState = (await owner('GET', `/v1/programs/${program.id}/webhooks`)).body.data;
  assert.equal(hookState.length, 1);
  assert.deepEqual(hookState[0].events, ['customer.created', 'transaction.created']);
  assert.equal(hookState[0].url, `${receiver.url}/edgeref`);

  await card.getByRole('button', { name: 'Edit' }).click();
  await card.getByLabel('Webhook name').fill('CRM sync');
  await card.getByLabel('customer.credited').check();
  assert.equal((await clickFor(page, card.getByRole('button', { name: 'Save' }), 'PATCH', '/webhooks/')).status(), 200);
  const edited = hooks.getByRole('article', { name: 'Webhook CRM sync' });
  await edited.getByText('customer.created, customer.credited, transaction.created').waitFor();

  await edited.getByRole('button', { name: 'Send test event' }).click();
  await receiver.waitUntil((rs) => rs.some((r) => JSON.parse(r.body).type === 'webhook.test'));
  await edited.getByRole('cell', { name: 'succeeded' }).waitFor();
  await edited.getByRole('cell', { name: 'webhook.test' }).waitFor();
  await screenshot(page, '05-snippet', page.locator('#snippet'));
  await screenshot(page, '07-webhooks', hooks);
  assert.equal((await clickFor(page, edited.getByRole('button', { name: 'Delete' }), 'DELETE', '/webhooks/')).status(), 200);
  await hooks.getByText('No webhooks yet.').waitFor();
  assert.equal(await hooks.locator('#new-webhook-secret').count(), 0);
  assert.deepEqual((await owner('GET', `/v1/programs/${program.id}/webhooks`)).body.data, []);

  // Integration → Third-party: connect Stripe with its signing secret.
  const stripe = page.locator('#integration-stripe');
  await stripe.getByText(`/integrations/stripe/${program.public_id}`).first().waitFor();
  await stripe.getByLabel('Signing secret').fill('whsec_dashboard_test');
  await stripe.getByLabel('Restricted key (optional)').fill('rk_test_dashboard');
  assert.equal(await stripe.getByLabel('API base').inputValue(), 'https://api.stripe.com');
  assert.equal((await clickFor(page, stripe.getByRole('button', { name: 'Connect Stripe' }), 'PUT', '/integrations/stripe')).status(), 200);
  await page.locator('#integration-stripe').getByText('connected', { exact: true }).waitFor();
  const stripeState = (await owner('GET', `/v1/programs/${program.id}/integrations`)).body.stripe;
  assert.deepEqual([stripeState.enabled, stripeState.secret_key_set, stripeState.api_base], [true, true, 'https://api.stripe.com']);
  await page.locator('#integration-zapier').getByText('No Zaps subscribed yet.').waitFor();
  await page.locator('#integration-mailerlite').getByRole('button', { name: 'Connect MailerLite' }).waitFor();
  await screenshot(page, '08-third-party', page.locator('#third-party'));

  // Customers and results, after some referred activity through the API.
  const alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com', name: 'Alice' })).body;
  assert.equal(alice.referral_link, `https://acme.example/a/${alice.referral_code}`);
  assert.equal(alice.short_link, `https://acme.example/_edgeref/r/${alice.referral_code}`);
  for (let i = 0; i < 3; i++) {
    const visit = await client(worker.url)('POST', '/t/visit', JSON.stringify({ program: program.public_id, code: alice.referral_code, url: alice.referral_link, referrer: '' }), { 'content-type': 'text/plain', 'user-agent': DESKTOP_UA, 'cf-connecting-ip': `10.5.0.${i}` });
    assert.equal(visit.status, 202); // three visitors: one visitor's repeats count once
  }
  assert.equal((await api('POST', '/v1/customers', { key: 'bob', email: 'bob@example.com', name: 'Bob', referring_customer: { key: 'alice' } })).status, 201);
  assert.equal((await api('POST', '/v1/transactions', { key: 'order-1', customer: { key: 'bob' }, amount: 12_000, currency: 'EUR' })).status, 201); // the currency set in Settings → Program
  // Visits reach D1 through the ingest queue, a moment after the beacon is answered.
  const stats = await eventually(async () => {
    const r = await owner('GET', `/v1/programs/${program.id}/stats`);
    return r.body.totals.visits === 3 && r.body;
  });
  assert.deepEqual(stats.totals, { visits: 3, signups: 1, conversions: 1, revenue: 12_000, rewards: 500 });
  assert.equal(stats.daily.length, 30, 'every day of the window, today last');
  const [first, last] = [stats.daily[0], stats.daily.at(-1)];
  assert.ok(Math.abs(Date.parse(last.date) - Date.now()) < 2 * 86_400_000, last.date);
  assert.equal(Date.parse(last.date) - Date.parse(first.date), 29 * 86_400_000);
  assert.deepEqual(last, { date: last.date, visits: 3, signups: 1, conversions: 1, revenue: 12_000 });
  assert.deepEqual(first, { date: first.date, visits: 0, signups: 0, conversions: 0, revenue: 0 });

  await page.getByRole('link', { name: 'Customers' }).click();
  const aliceRow = page.getByRole('row').filter({ hasText: 'alice@example.com' }).first();
  await aliceRow.getByText(alice.referral_link).waitFor();
  const amounts = async (row) => Promise.all([4, 5, 6].map((i) => row.getByRole('cell').nth(i).textContent()));
  assert.deepEqual(await amounts(aliceRow), ['€0.00', '€5.00', '€0.00'], 'the signup reward is approved at once: in her balance (pending, balance, paid)');
  // The short link (counts the click, sets the cookie from the server) is one click to copy.
  await aliceRow.getByText(alice.short_link).waitFor();
  await aliceRow.getByRole('button', { name: 'Copy short link' }).click();
  await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), alice.short_link);
  await aliceRow.getByRole('button', { name: /Show the 1 referrals/ }).click();
  await page.getByRole('listitem').filter({ hasText: 'bob@example.com (bob)' }).waitFor();
  const bobRow = page.getByRole('row').filter({ hasText: 'bob@example.com · bob' });
  assert.equal(await bobRow.getByRole('cell').nth(2).textContent(), 'alice');
  // Linking a customer to Stripe (for Stripe credit).
  await aliceRow.getByText('not linked to Stripe').waitFor();
  await aliceRow.getByRole('button', { name: 'Edit the Stripe customer ID of alice' }).click();
  await aliceRow.getByRole('textbox', { name: 'Stripe customer ID of alice' }).fill('cus_AliceDash1');
  assert.equal((await clickFor(page, aliceRow.getByRole('button', { name: 'Save' }), 'PATCH', '/customers/alice')).status(), 200);
  await aliceRow.getByText('cus_AliceDash1').waitFor();
  assert.equal((await api('GET', '/v1/customers/alice')).body.stripe_customer_id, 'cus_AliceDash1');
  await screenshot(page, '09-customers');

  await page.getByRole('link', { name: 'Results' }).click();
  const totals = page.locator('.totals');
  await totals.waitFor();
  const total = async (label) => (await totals.locator('div').filter({ has: page.getByText(label, { exact: true }) }).locator('dd').textContent());
  assert.equal(await total('Visits'), '3');
  assert.equal(await total('Signups'), '1');
  assert.equal(await total('Conversions'), '1');
  assert.equal(await total('Revenue'), '€120.00');
  assert.equal(await total('Rewards'), '€5.00');
  assert.equal(await page.locator('svg.chart rect').count(), 30, 'a visits bar per day');
  assert.equal(await page.locator('svg.chart polyline').count(), 2, 'signups and conversions lines');
  assert.match(await page.locator('svg.chart desc').textContent(), /^30 days from .*: 3 visits, 1 signups, 1 conversions\.$/);
  await page.getByLabel('Period').selectOption('7');
  await page.locator('svg.chart desc').filter({ hasText: /^7 days/ }).waitFor({ state: 'attached' });
  await screenshot(page, '10-results');

  // Programs lists it; Settings → Delete program, confirmed by typing its name.
  await page.getByRole('link', { name: '← Programs' }).click();
  await page.getByRole('cell', { name: 'https://acme.example/' }).waitFor();
  await screenshot(page, '02-programs');
  await page.getByRole('link', { name: 'Acme store' }).click();
  // The currency is fixed now that there is a transaction.
  const currency = page.locator('#program').getByLabel('Currency');
  await page.getByText('Fixed: the program holds money').waitFor();
  assert.equal(await currency.isDisabled(), true);
  assert.equal(await currency.inputValue(), 'EUR');
  assert.equal((await owner('PATCH', `/v1/programs/${program.id}`, { currency: 'USD' })).status, 409);
  const del = page.locator('#delete');
  const button = del.getByRole('button', { name: 'Delete program' });
  assert.equal(await button.isDisabled(), true);
  await del.getByLabel('Type the program name, “Acme store”, to confirm').waitFor();
  await del.getByLabel(/Type the program name/).fill('Acme');
  assert.equal(await button.isDisabled(), true, 'only the exact name enables it');
  await del.getByLabel(/Type the program name/).fill('Acme store');
  assert.equal((await clickFor(page, button, 'DELETE', program.id)).status(), 200);
  await page.getByRole('heading', { name: 'Programs', level: 1 }).waitFor();
  await page.getByText('No programs yet').waitFor();
  assert.equal((await owner('GET', `/v1/programs/${program.id}`)).status, 404);
  assert.equal((await api('GET', '/v1/me')).status, 401, 'its API keys went with it');

  assert.deepEqual(problems, []);
  await context.close();
});

test('rewards: hold and manual approval set in Settings; the owner reviews flagged rewards, approves, rejects, approves in bulk and records a payout', async () => {
  const program = (await owner('POST', '/v1/programs', { name: 'Bike shop', website_url: 'https://bikes.example/' })).body;
  const api = client(worker.url, (await owner('POST', `/v1/programs/${program.id}/api-keys`, { name: 'backend' })).body.key);
  const { context, page, problems } = await openDashboard();
  await signIn(page);

  // Amounts carry their currency's symbol and its own number of decimals.
  const formatted = await page.evaluate(async () => {
    const { money, toMinor } = await import('/dashboard/dom.js');
    return [money(1999, 'USD'), money(500, 'JPY'), money(1234, 'KWD'), toMinor('19.99', 'USD'), toMinor('500', 'JPY'), toMinor('1.234', 'KWD')];
  });
  assert.deepEqual(formatted.map((f) => (typeof f === 'string' ? f.replace(/\s/g, ' ') : f)), ['$19.99', '¥500', 'KWD 1.234', 1999, 500, 1234]);

  // Settings → Rewards: 5.00 per referred signup, held 14 days, every reward approved by hand, one a day per referrer.
  await page.getByRole('link', { name: 'Bike shop' }).click();
  const settings = page.locator('#rewards');
  const referrer = settings.getByRole('group', { name: /Referrer reward/ });
  await referrer.getByLabel('Type').selectOption('fixed');
  await referrer.getByLabel('Amount in minor units').fill('500');
  await referrer.getByLabel('Earned').selectOption('signup');
  assert.equal(await settings.getByLabel('Hold days').inputValue(), '0');
  assert.equal(await settings.getByRole('radio', { name: /^Automatic/ }).isChecked(), true);
  await settings.getByLabel('Hold days').fill('14');
  await settings.getByRole('radio', { name: /^Manual/ }).check();
  await settings.getByLabel('Rewards per referrer per day').fill('1');
  assert.equal(await settings.getByRole('radio', { name: /^By hand/ }).isChecked(), true);
  await settings.getByRole('radio', { name: /^Stripe credit/ }).check();
  assert.equal((await clickFor(page, settings.getByRole('button', { name: 'Save rewards' }), 'PATCH', program.id)).status(), 200);
  assert.deepEqual((await owner('GET', `/v1/programs/${program.id}`)).body.rewards, {
    referrer: { type: 'fixed', amount: 500, on: 'signup' }, friend: null, hold_days: 14, approval: 'manual', max_per_referrer_per_day: 1, fulfilment: { referrer: 'stripe_credit' },
  });
  await screenshot(page, '11-reward-settings', settings);

  // Referrals through the API: clean ones, and flagged ones (throwaway domain, the referrer's own mailbox, over the daily limit).
  for (const [key, email] of [['ann', 'ann@example.com'], ['cat', 'cat@example.com'], ['fay', 'fay@example.com'], ['gil', 'gil@example.com']]) {
    assert.equal((await api('POST', '/v1/customers', { key, email })).status, 201);
  }
  for (const [key, email, by] of [['ben', 'ben@example.com', 'ann'], ['dan', 'dan@mailinator.com', 'cat'], ['fay2', 'fay+2@example.com', 'fay'], ['hal', 'hal@example.com', 'gil'], ['ivy', 'ivy@example.com', 'gil']]) {
    assert.equal((await api('POST', '/v1/customers', { key, email, referring_customer: { key: by } })).status, 201, key);
  }
  const rewardsOf = async (query) => (await owner('GET', `/v1/programs/${program.id}/rewards?${query}`)).body.data;
  const pending = await rewardsOf('status=pending');
  assert.deepEqual(pending.map((r) => [r.customer.key, r.kind, r.amount, r.currency, r.flags]), [
    ['ann', 'referrer', 500, 'USD', []],
    ['cat', 'referrer', 500, 'USD', ['disposable_email']],
    ['fay', 'referrer', 500, 'USD', ['lookalike_email']],
    ['gil', 'referrer', 500, 'USD', []],
    ['gil', 'referrer', 500, 'USD', ['velocity']],
  ], 'manual approval keeps every reward pending');

  // Rewards → Review queue: every pending reward, its flags in words, its hold.
  await page.getByRole('navigation', { name: 'Program' }).getByRole('link', { name: 'Rewards' }).click();
  const queue = page.locator('#review');
  const rowOf = (scope, key) => scope.getByRole('row').filter({ has: page.getByRole('cell', { name: key, exact: true }) });
  await rowOf(queue, 'ann').waitFor();
  assert.equal(await queue.getByRole('row').count(), 6, 'a heading row and five rewards');
  await rowOf(queue, 'cat').getByText('throwaway email provider').waitFor();
  await rowOf(queue, 'fay').getByText('same address as the referrer, with a +tag or dots').waitFor();
  await rowOf(queue, 'gil').getByText('over the daily limit').waitFor();
  assert.equal(await rowOf(queue, 'ann').getByRole('cell').nth(3).textContent(), '$5.00');
  await rowOf(queue, 'ann').getByText(/^held until /).waitFor();
  await page.locator('#payables').getByText('Nobody is owed money right now.').waitFor();
  await page.locator('#payouts').getByText('No payouts yet.').waitFor();
  await screenshot(page, '12-rewards');

  // The filter: flagged only.
  await queue.getByLabel('Show', { exact: true }).selectOption('true');
  await rowOf(queue, 'ann').waitFor({ state: 'detached' });
  assert.equal(await queue.getByRole('row').count(), 4, 'cat, fay and gil’s second');
  await queue.getByLabel('Show', { exact: true }).selectOption('');
  await eventually(async () => (await queue.getByRole('row').count()) === 6);

  // Approve one: it leaves the queue and is on the referrer's balance.
  const approved = await clickFor(page, rowOf(queue, 'ann').getByRole('button', { name: 'Approve the referrer reward of $5.00 for ann' }), 'POST', '/approve');
  assert.equal(approved.status(), 200);
  await rowOf(queue, 'ann').waitFor({ state: 'detached' });
  await page.getByRole('status').filter({ hasText: 'Approved the referrer reward of $5.00 for ann.' }).waitFor();
  const [annReward] = await rewardsOf('customer=ann');
  assert.equal(annReward.status, 'approved');
  assert.ok(annReward.decided_at);
  let ann = (await api('GET', '/v1/customers/ann')).body;
  assert.deepEqual([ann.pending_balance, ann.balance, ann.paid_total], [0, 500, 0]);

  // Reject one with a reason; Escape closes the form and gives focus back.
  const rejectButton = rowOf(queue, 'cat').getByRole('button', { name: /^Reject the referrer reward/ });
  await rejectButton.click();
  assert.equal(await rejectButton.getAttribute('aria-expanded'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'reason', 'the reason field has focus');
  await page.keyboard.press('Escape');
  await queue.getByLabel('Reason for rejecting').waitFor({ state: 'detached' });
  assert.equal(await rejectButton.evaluate((el) => el === document.activeElement), true);
  await page.keyboard.press('Enter');
  await page.keyboard.type('Throwaway address, no purchase');
  const rejected = await clickFor(page, queue.getByRole('button', { name: 'Reject reward' }), 'POST', '/reject');
  assert.equal(rejected.status(), 200);
  await rowOf(queue, 'cat').waitFor({ state: 'detached' });
  const [catReward] = await rewardsOf('customer=cat');
  assert.deepEqual([catReward.status, catReward.reason], ['rejected', 'Throwaway address, no purchase']);
  const cat = (await api('GET', '/v1/customers/cat')).body;
  assert.deepEqual([cat.pending_balance, cat.balance], [0, 0]);

  // Approve the other three at once.
  await queue.getByLabel('Select every reward shown').check();
  const bulk = queue.getByRole('button', { name: 'Approve selected (3)' });
  await bulk.click();
  await queue.getByText('Nothing to review: no reward is pending.').waitFor();
  await page.getByRole('status').filter({ hasText: 'Approved 3 rewards.' }).waitFor();
  assert.deepEqual(await rewardsOf('status=pending'), []);
  assert.deepEqual((await rewardsOf('status=approved')).map((r) => r.customer.key), ['ann', 'fay', 'gil', 'gil']);

  // Payables: who is owed what; mark gil's 10.00 as paid with a reference.
  const payables = page.locator('#payables');
  await payables.getByRole('row').filter({ hasText: 'gil@example.com' }).waitFor();
  const owed = payables.getByRole('row').filter({ hasText: '@example.com' });
  assert.deepEqual(await owed.evaluateAll((rows) => rows.map((r) => [...r.cells].slice(0, 3).map((c) => c.textContent))), [
    ['ann@example.comann', '1', '$5.00'], ['fay@example.comfay', '1', '$5.00'], ['gil@example.comgil', '2', '$10.00'],
  ]);
  await payables.getByRole('button', { name: 'Mark as paid… ($10.00 owed to gil)' }).click();
  assert.equal(await payables.getByLabel('Amount (USD)').inputValue(), '10.00');
  await payables.getByLabel('Reference').fill('SEPA-0042');
  await payables.getByLabel('Note').fill('December referrals');
  await screenshot(page, '13-mark-as-paid', payables);
  const paid = await clickFor(page, payables.getByRole('button', { name: 'Record payout' }), 'POST', '/payouts');
  assert.equal(paid.status(), 201);
  const payoutRow = page.locator('#payouts').getByRole('row').filter({ hasText: 'SEPA-0042' });
  await payoutRow.waitFor();
  assert.deepEqual(await payoutRow.evaluate((r) => [...r.cells].slice(1).map((c) => c.textContent)), ['gil', '$10.00', 'Manual', 'SEPA-0042', 'December referrals', '2']);
  await payables.getByRole('row').filter({ hasText: 'gil@example.com' }).waitFor({ state: 'detached' });
  const [payout] = (await owner('GET', `/v1/programs/${program.id}/payouts`)).body.data;
  assert.deepEqual([payout.customer.key, payout.amount, payout.currency, payout.reference, payout.note, payout.reward_ids.length, payout.method], ['gil', 1000, 'USD', 'SEPA-0042', 'December referrals', 2, 'manual']);
  assert.deepEqual((await rewardsOf('customer=gil')).map((r) => [r.status, r.payout_id]), [['paid', payout.id], ['paid', payout.id]]);
  const gil = (await api('GET', '/v1/customers/gil')).body;
  assert.deepEqual([gil.pending_balance, gil.balance, gil.paid_total], [0, 0, 1000]);
  await screenshot(page, '14-payouts', page.locator('#payouts'));

  // Customers: pending, balance and paid side by side.
  await page.getByRole('navigation', { name: 'Program' }).getByRole('link', { name: 'Customers' }).click();
  const gilRow = page.getByRole('row').filter({ hasText: 'gil@example.com' });
  await gilRow.waitFor();
  assert.deepEqual(await Promise.all([4, 5, 6].map((i) => gilRow.getByRole('cell').nth(i).textContent())), ['$0.00', '$0.00', '$10.00']);

  assert.deepEqual(problems, []);
  await context.close();
  await owner('DELETE', `/v1/programs/${program.id}`);
});

test('program stats: validated window, 404 for an unknown program, owner only', async () => {
  assert.equal((await owner('GET', '/v1/programs/prg_nope/stats')).status, 404);
  const made = await owner('POST', '/v1/programs', { name: 'Stats', website_url: 'https://stats.example/' });
  for (const bad of ['0', '366', 'x', '1.5']) {
    const r = await owner('GET', `/v1/programs/${made.body.id}/stats?days=${bad}`);
    assert.equal(r.status, 422, bad);
    assert.equal(r.body.error.field, 'days');
  }
  const week = await owner('GET', `/v1/programs/${made.body.id}/stats?days=7`);
  assert.equal(week.status, 200);
  assert.equal(week.body.daily.length, 7);
  assert.deepEqual(week.body.totals, { visits: 0, signups: 0, conversions: 0, revenue: 0, rewards: 0 });
  assert.equal((await client(worker.url)('GET', `/v1/programs/${made.body.id}/stats`)).status, 401);
  await owner('DELETE', `/v1/programs/${made.body.id}`);
});

test('names are shown as text, never run as HTML', async () => {
  const made = await owner('POST', '/v1/programs', { name: XSS_NAME, website_url: 'https://xss.example/?q=<b>' });
  assert.equal(made.status, 201);
  const { context, page, problems } = await openDashboard();
  await signIn(page);
  await page.getByRole('link', { name: XSS_NAME }).click();
  await page.getByRole('heading', { name: XSS_NAME, level: 1 }).waitFor();
  assert.equal(await page.locator('main img').count(), 0);
  await page.getByRole('link', { name: 'Programs' }).first().click();
  await page.getByRole('link', { name: XSS_NAME }).waitFor();
  assert.equal(await page.locator('main img').count(), 0);
  assert.deepEqual(problems, [], 'no alert, no errors');
  await context.close();
  await owner('DELETE', `/v1/programs/${made.body.id}`);
});

test('sign in and out with the keyboard; sign-out ends the session in this browser', async () => {
  const { context, page } = await openDashboard();
  await page.getByLabel('Admin token').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.name), 'token', 'the token field has focus');
  await page.keyboard.type(ADMIN_TOKEN);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Programs', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await signIn(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByText('You are signed out.').waitFor();
  assert.equal(await sessionCookie(context), undefined);
  assert.equal((await page.request.get(`${worker.url}/v1/programs`)).status(), 401);
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await context.close();
});
