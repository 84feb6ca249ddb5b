// Privacy and retention (docs/privacy.md), against one Worker: consent in Chromium (required
// and Google Consent Mode), a customer's export and erasure (read back from the local D1
// file itself), raw visits rolled into daily counts and delivered outbox rows pruned.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  startWorker, startMerchantSite, launchBrowser, createProgram, merchantPage, client, eventually, runCron,
  startReceiver, signedInDashboard, ingestDrained, DESKTOP_UA, ADMIN_TOKEN,
} from './harness.mjs';
import { startMailerLite } from './fixtures/mailerlite.mjs';

let worker, browser, owner;
before(async () => {
  [worker, browser] = await Promise.all([startWorker({ vars: { EMAIL_PROVIDER: 'dev' } }), launchBrowser()]);
  owner = client(worker.url, ADMIN_TOKEN);
});
after(async () => { await browser?.close(); await worker?.stop(); });

const DAY = 86_400_000;
const cookie = async (context, name = 'edgeref_ref') => (await context.cookies()).find((c) => c.name === name);
const visitsOf = async (api, key) => (await api('GET', `/v1/customers/${key}/stats`)).body.visits;

/** A merchant site whose program waits for consent, with a referrer. */
async function consentShop(consent, head = '') {
  const site = await startMerchantSite();
  const { program, api } = await createProgram(worker, { website_url: `${site.origin}/`, tracking: { consent } });
  const alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com' })).body;
  site.page('*', merchantPage(program.snippet, '', head));
  return { site, program, api, alice };
}

/** A page on the referral link, once the module has handled the view: nothing may be stored or sent yet. */
async function landed(context, url) {
  const page = await context.newPage();
  const beacons = [];
  page.on('request', (r) => { if (r.url().endsWith('/t/visit')) beacons.push(r); });
  await page.goto(url);
  await page.waitForFunction(() => window.edgeref && !window.edgeref.q);
  assert.equal(await page.evaluate(() => window.edgeref('referral')), null, 'no cookie before consent');
  assert.deepEqual(await context.cookies(), []);
  assert.equal(beacons.length, 0, 'no beacon before consent');
  return { page, beacons };
}

test('consent required: nothing before the grant, one visit at it, cookies gone on denial; the setting is checked', async () => {
  const { site, program, api, alice } = await consentShop('required');
  assert.match(await (await fetch(program.snippet.match(/src="([^"]+)"/)[1])).text(), /"k":1/);
  const context = await browser.newContext();
  const { page, beacons } = await landed(context, alice.referral_link);

  const answered = page.waitForResponse((r) => r.url().endsWith('/t/visit'));
  await page.evaluate(() => window.edgeref('consent', 'granted'));
  assert.equal((await (await answered).json()).valid, true);
  assert.equal((await cookie(context)).value, alice.referral_code);
  await eventually(async () => await cookie(context, 'edgeref_vid'));
  await eventually(async () => (await visitsOf(api, 'alice')) === 1);
  assert.equal(beacons.length, 1, 'the held view counted once');

  await page.evaluate(() => window.edgeref('consent', 'denied'));
  assert.deepEqual(await context.cookies(), [], 'denial removes both cookies');
  await page.evaluate((code) => history.pushState({}, '', `/p?ref=${code}`), alice.referral_code);
  assert.equal(await page.evaluate(() => window.edgeref('referral')), null);
  assert.deepEqual(await context.cookies(), []);
  assert.equal(beacons.length, 1, 'nothing sent while denied');
  await context.close();

  // The redirect link counts nothing and sets nothing while consent is awaited: the page asks.
  const r = await fetch(`${worker.url}/r/${alice.referral_code}`, { redirect: 'manual', headers: { 'user-agent': DESKTOP_UA } });
  assert.equal(r.status, 302);
  assert.equal(r.headers.get('set-cookie'), null);
  await ingestDrained(worker, program, alice.referral_code);
  assert.equal(await visitsOf(api, 'alice'), 2, 'the drain beacon only');

  for (const bad of [{ consent: 'maybe' }, { consent: null }, { visit_retention_days: 29 }, { visit_retention_days: 3651 }]) {
    const res = await owner('PATCH', `/v1/programs/${program.id}`, { tracking: bad });
    assert.equal(res.status, 422, JSON.stringify(bad));
  }
  const ok = await owner('PATCH', `/v1/programs/${program.id}`, { tracking: { consent: 'google_consent_mode', visit_retention_days: 30 } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.tracking.consent, 'google_consent_mode');
  assert.equal(ok.body.tracking.visit_retention_days, 30);
  await site.stop();
});

test('Google Consent Mode: ad_storage from dataLayer decides', async () => {
  const gtag = `<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('consent','default',{ad_storage:'denied',analytics_storage:'granted'});</script>`;
  const { site, api, alice } = await consentShop('google_consent_mode', gtag);
  const context = await browser.newContext();
  const { page, beacons } = await landed(context, alice.referral_link);
  const answered = page.waitForResponse((r) => r.url().endsWith('/t/visit'));
  await page.evaluate(() => window.gtag('consent', 'update', { ad_storage: 'granted' }));
  await answered;
  assert.equal((await cookie(context)).value, alice.referral_code);
  await eventually(async () => (await visitsOf(api, 'alice')) === 1);
  await page.evaluate(() => window.gtag('consent', 'update', { ad_storage: 'denied' }));
  assert.equal(await cookie(context), undefined);
  assert.equal(beacons.length, 1);
  await context.close();
  await site.stop();
});

/** Every row of the local D1 database, as SQL text (the sqlite3 CLI over the Worker's files). */
async function dump() {
  const dir = join(worker.state, 'v3', 'd1');
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.sqlite')).map((f) => join(dir, f));
  assert.ok(files.length > 0, 'the D1 file');
  const out = await Promise.all(files.map((f) => promisify(execFile)('sqlite3', [f, '.dump'], { maxBuffer: 256 << 20 })));
  return out.map((o) => o.stdout).join('\n');
}

const stats = async (program) => (await owner('GET', `/v1/programs/${program.id}/stats?days=365`)).body.totals;

test('export holds the person\'s rows and no one else\'s; erase leaves no trace in D1, MailerLite or the totals', async () => {
  const ml = await startMailerLite('ml');
  const receiver = await startReceiver();
  const { program, api } = await createProgram(worker, {
    emails: { enabled: true, from_address: 'rewards@shop.example' },
    rewards: { referrer: { type: 'percent', percent: 10 }, friend: { type: 'fixed', amount: 300, on: 'signup' } },
  });
  assert.equal((await owner('PUT', `/v1/programs/${program.id}/integrations/mailerlite`, { api_token: 'ml', group_id: '7', api_base: ml.url })).status, 200);
  assert.equal((await api('POST', '/v1/webhooks', { name: 'Deleted', url: receiver.url, events: ['customer.deleted'] })).status, 201);
  const EMAIL = 'Zelda.Quixote@Erase.example';
  await api('POST', '/v1/customers', { key: 'ref-ann', email: 'annika@other.example', name: 'Annika' });
  await api('POST', '/v1/customers', { key: 'cust-carol', email: 'carol@other.example', name: 'Carolyn', surname: 'Beaumont' });
  const zed = (await api('POST', '/v1/customers', { key: 'cust-zed', email: EMAIL, name: 'Zelda', surname: 'Quixote', referring_customer: { key: 'ref-ann' } })).body;
  assert.equal((await api('POST', '/v1/transactions', { key: 'sale-1', customer: { key: 'cust-zed' }, amount: 5000, currency: 'EUR' })).status, 201);
  await api('POST', '/v1/transactions', { key: 'sale-2', customer: { key: 'cust-carol' }, amount: 700, currency: 'EUR' });
  await api('POST', '/v1/customers/cust-zed/credit', { amount: 150, note: 'goodwill for Zelda Quixote' });
  await api('PATCH', '/v1/customers/cust-zed', { name: 'Zelda', surname: 'Quixote' });
  await api('POST', '/v1/email-suppressions', { email: EMAIL });
  await ingestDrained(worker, program, zed.referral_code);
  await eventually(() => ml.subscribers.has(EMAIL));
  await eventually(async () => (await worker.sql(`SELECT COUNT(*) AS n FROM deliveries WHERE program_id = '${program.id}' AND status = 'pending'`))[0].n === 0, 30_000);
  assert.ok((await worker.sql(`SELECT COUNT(*) AS n FROM dev_mail WHERE program_id = '${program.id}' AND text_body LIKE '%Zelda%'`))[0].n > 0, 'a message names her');

  const exported = await api('GET', '/v1/customers/cust-zed/export');
  assert.equal(exported.status, 200, JSON.stringify(exported.body));
  const x = exported.body;
  assert.equal(x.customer.email, EMAIL);
  const count = async (q) => (await worker.sql(q))[0].n;
  const where = `program_id = '${program.id}'`;
  assert.equal(x.rewards.length, await count(`SELECT COUNT(*) AS n FROM rewards WHERE ${where} AND customer_key = 'cust-zed'`));
  assert.equal(x.transactions.length, 1);
  assert.equal(x.ledger.length, await count(`SELECT COUNT(*) AS n FROM ledger WHERE ${where} AND customer_key = 'cust-zed'`));
  assert.ok(x.ledger.some((l) => l.note === 'goodwill for Zelda Quixote'));
  assert.equal(x.messages.length, await count(`SELECT COUNT(*) AS n FROM deliveries WHERE ${where} AND lower(recipient) = lower('${EMAIL}')`));
  assert.ok(x.messages.length > 0);
  assert.deepEqual(x.visits.map((v) => v.visits), [1]);
  assert.equal(x.email_suppressions.length, 1);
  assert.ok(x.audit_log.some((a) => a.action === 'customer.updated'));
  const text = JSON.stringify(x).toLowerCase();
  for (const other of ['annika', 'carol', 'beaumont', 'sale-2']) assert.ok(!text.includes(other), `nothing of ${other}`);
  const annExport = (await api('GET', '/v1/customers/ref-ann/export')).body;
  assert.deepEqual(annExport.referrals.map((r) => r.email), ['Z•••@Erase.example'], 'referrals masked as in /w/me');
  assert.ok(!JSON.stringify(annExport.rewards).includes('cust-zed'), 'no friend key in the referrer\'s rewards');

  const totals = await stats(program);
  const balances = (await api('GET', '/v1/customers?limit=10')).body.data.map((c) => [c.key, c.balance]);
  const erased = await api('POST', '/v1/customers/cust-zed/erase', {});
  assert.equal(erased.status, 200, JSON.stringify(erased.body));
  assert.equal(erased.body.erased, true);
  assert.deepEqual(ml.forgotten, [EMAIL], 'MailerLite forgot her before the answer');

  const everything = await dump();
  for (const gone of [EMAIL.toLowerCase(), 'Zelda', 'Quixote']) {
    const found = everything.split('\n').filter((line) => (gone.includes('@') ? line.toLowerCase() : line).includes(gone));
    assert.deepEqual(found.map((line) => line.slice(0, 300)), [], `${gone} is in no table`);
  }
  assert.ok(everything.includes('annika@other.example') && everything.includes('Carolyn'), 'everyone else stays');
  assert.deepEqual(await stats(program), totals, 'the program\'s totals add up as before');
  assert.deepEqual((await api('GET', '/v1/customers?limit=10')).body.data.map((c) => [c.key, c.balance]), balances);
  const after = (await api('GET', '/v1/customers/cust-zed')).body;
  assert.deepEqual([after.email, after.name, after.surname, after.referral_code], ['', null, null, zed.referral_code]);

  await receiver.waitUntil((rs) => rs.some((r) => JSON.parse(r.body).type === 'customer.deleted'));
  const deleted = JSON.parse(receiver.requests.find((r) => JSON.parse(r.body).type === 'customer.deleted').body);
  assert.equal(deleted.data.key, 'cust-zed');
  const log = (await owner('GET', `/v1/programs/${program.id}/audit-log?target_id=cust-zed`)).body.data;
  assert.ok(log.some((e) => e.action === 'customer.erased'), JSON.stringify(log.map((e) => e.action)));
  assert.equal((await api('POST', '/v1/customers/nobody/erase', {})).status, 404);
  await Promise.all([ml.stop(), receiver.stop()]);
});

test('retention: old raw visits roll into daily counts with the same totals; delivered outbox rows go after 30 days', async () => {
  const { program, api } = await createProgram(worker);
  const kept = await createProgram(worker, { name: 'Default retention' });
  assert.equal(kept.program.tracking.visit_retention_days, 400);
  await owner('PATCH', `/v1/programs/${program.id}`, { tracking: { visit_retention_days: 30 } });
  await api('POST', '/v1/customers', { key: 'ref', email: 'ref@example.com' });
  await kept.api('POST', '/v1/customers', { key: 'ref', email: 'ref@example.com' });
  const now = Date.now();
  const visit = (p, id, daysAgo, bot = 0) => `('${id}', '${p.id}', 'c', 'ref', 'https://s.example/', '', ${now - daysAgo * DAY}, ${bot})`;
  await worker.sql(`INSERT INTO visits (id, program_id, code, referrer_key, url, referrer, created_at, bot) VALUES
    ${visit(program, 'vis_old1', 200)}, ${visit(program, 'vis_old2', 200)}, ${visit(program, 'vis_old3', 45)}, ${visit(program, 'vis_bot', 45, 1)},
    ${visit(program, 'vis_new', 2)}, ${visit(kept.program, 'vis_kept', 200)}`);
  const e = (id, daysAgo) => `('${id}', '${program.id}', 'customer.created', '{}', ${now - daysAgo * DAY})`;
  await worker.sql(`INSERT INTO events (id, program_id, type, payload, created_at) VALUES ${e('msg_old', 40)}, ${e('msg_failed', 40)}, ${e('msg_recent', 5)}`);
  const d = (id, event, status, daysAgo) => `('${id}', '${program.id}', '${event}', 'whk_x', '${status}', 1, ${now - daysAgo * DAY}, ${now - daysAgo * DAY})`;
  await worker.sql(`INSERT INTO deliveries (id, program_id, event_id, webhook_id, status, attempts, created_at, updated_at) VALUES
    ${d('msg_old.whk_x', 'msg_old', 'succeeded', 40)}, ${d('msg_failed.whk_x', 'msg_failed', 'failed', 40)}, ${d('msg_recent.whk_x', 'msg_recent', 'succeeded', 5)}`);
  const before = [await stats(program), await visitsOf(api, 'ref'), (await api('GET', '/v1/customers/ref/export')).body.visits];
  assert.equal(before[1], 4);

  await runCron(worker);
  const left = await worker.sql(`SELECT id FROM visits WHERE program_id IN ('${program.id}', '${kept.program.id}') ORDER BY id`);
  assert.deepEqual(left.map((r) => r.id), ['vis_kept', 'vis_new'], 'past 30 days gone (bots too); the 400-day program keeps its own');
  assert.deepEqual([await stats(program), await visitsOf(api, 'ref'), (await api('GET', '/v1/customers/ref/export')).body.visits], before, 'same totals after');
  const events = await worker.sql(`SELECT id FROM events WHERE id IN ('msg_old', 'msg_failed', 'msg_recent') ORDER BY id`);
  assert.deepEqual(events.map((r) => r.id), ['msg_failed', 'msg_recent']);
  assert.deepEqual((await worker.sql(`SELECT id FROM deliveries WHERE program_id = '${program.id}' ORDER BY id`)).map((r) => r.id), ['msg_failed.whk_x', 'msg_recent.whk_x']);

  // Deleting the referrer takes the rolled-up visits out of the program's totals too.
  await api('DELETE', '/v1/customers/ref');
  assert.equal((await stats(program)).visits, 0);
});

test('dashboard: consent and retention in Settings; Export and Erase (confirmed) on a customer', async () => {
  const { program, api } = await createProgram(worker, { name: 'Privacy shop' });
  await api('POST', '/v1/customers', { key: 'cust-dora', email: 'dora.dashboard@example.com', name: 'Dora' });
  const { context, page, problems } = await signedInDashboard(browser, worker, { acceptDownloads: true });
  await page.getByRole('link', { name: 'Privacy shop' }).click();
  const tracking = page.locator('#tracking');
  await tracking.getByLabel(/Wait for consent/).check();
  await tracking.getByLabel('Keep raw visits for (days)').fill('90');
  await tracking.getByRole('button', { name: 'Save tracking' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  const saved = (await owner('GET', `/v1/programs/${program.id}`)).body.tracking;
  assert.deepEqual([saved.consent, saved.visit_retention_days], ['required', 90]);

  await page.getByRole('navigation', { name: 'Program' }).getByRole('link', { name: 'Customers' }).click();
  const row = page.getByRole('row').filter({ hasText: 'dora.dashboard@example.com' });
  const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Export the data of cust-dora' }).click()]);
  const exported = JSON.parse(await (await download.createReadStream()).toArray().then((b) => Buffer.concat(b).toString('utf8')));
  assert.equal(exported.customer.email, 'dora.dashboard@example.com');
  // The harness accepts the browser's "are you sure?" dialog.
  await row.getByRole('button', { name: 'Erase the personal data of cust-dora' }).click();
  await page.getByRole('status').filter({ hasText: 'The personal data of cust-dora was erased.' }).waitFor();
  assert.equal((await api('GET', '/v1/customers/cust-dora')).body.email, '');
  await page.getByRole('row').filter({ hasText: 'cust-dora' }).first().waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});
