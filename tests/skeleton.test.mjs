// The walking skeleton, end to end: a referred visit from a merchant page on
// another origin sets the cookie, lands in D1 and shows in the customer's stats.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, startMerchantSite, launchBrowser, seedProgram, merchantPage, client, eventually, ingestDrained, ADMIN_TOKEN } from './harness.mjs';

let worker, site, browser, seed;

before(async () => {
  worker = await startWorker();
  site = await startMerchantSite();
  browser = await launchBrowser();
  seed = await seedProgram(worker, site.origin);
  site.page('*', merchantPage(seed.program.snippet, '<h1>Shop</h1>'));
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await worker?.stop();
});

/** Opens `url` in a fresh browser context and waits for the visit beacon's answer. */
async function visit(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const beacon = page.waitForResponse((r) => r.url().endsWith('/t/visit'));
  await page.goto(url);
  const response = await beacon;
  const answer = await response.json();
  // The snippet acts on the answer after it arrives; wait until it has.
  await page.waitForFunction(() => document.readyState === 'complete');
  return { context, page, answer, errors };
}

async function cookieNamed(context, name) {
  return (await context.cookies()).find((c) => c.name === name);
}

test('the program carries the defaults and an install tag for this Worker', () => {
  assert.equal(seed.program.tracking.link_format, 'query');
  assert.equal(seed.program.tracking.param, 'ref');
  assert.equal(seed.program.tracking.cookie_days, 30);
  assert.equal(seed.program.tracking.attribution, 'last_click');
  assert.equal(seed.program.snippet, `<script async src="${worker.url}/s/${seed.program.public_id}.js"></script>`);
  assert.equal(seed.alice.referral_link, `${site.origin}/?ref=${seed.alice.referral_code}`);
});

test('a referred visit sets a 30-day first-party cookie, is stored in D1 and counted', async () => {
  const code = seed.alice.referral_code;
  const before = Date.now() / 1000;
  const { context, answer, errors } = await visit(`${site.origin}/?ref=${code.toUpperCase()}`);
  assert.equal(answer.valid, true);
  assert.match(answer.visit_id, /^vis_/);

  const cookie = await cookieNamed(context, 'edgeref_ref');
  assert.ok(cookie, 'edgeref_ref cookie is set');
  assert.equal(cookie.value, code, 'codes are stored lowercase');
  assert.equal(cookie.domain, 'localhost', 'first-party: the merchant page, not the Worker');
  assert.equal(cookie.path, '/');
  assert.equal(cookie.sameSite, 'Lax');
  assert.equal(cookie.secure, false, 'Secure only on https');
  const maxAge = cookie.expires - before;
  assert.ok(Math.abs(maxAge - 30 * 86400) < 120, `Max-Age ≈ 30 days, got ${maxAge}s`);
  // The snippet stores the visit id once it has read the answer: wait for it, fail if it never comes.
  const vid = await eventually(() => cookieNamed(context, 'edgeref_vid'), 2500).catch(() => assert.fail('no edgeref_vid cookie after the visit beacon was answered'));
  assert.equal(vid.value, answer.visit_id, 'the visit id is kept for the signup');
  assert.deepEqual(errors, [], 'no console errors on the merchant page');
  await context.close();

  // Visits reach D1 through the ingest queue, a moment after the beacon is answered.
  const rows = await eventually(async () => {
    const r = await worker.sql(`SELECT program_id, code, referrer_key, url FROM visits WHERE id = '${answer.visit_id}'`);
    return r.length && r;
  });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].program_id, seed.program.id);
  assert.equal(rows[0].code, code);
  assert.equal(rows[0].referrer_key, 'alice');
  assert.equal(rows[0].url, `${site.origin}/?ref=${code.toUpperCase()}`);

  const stats = await seed.api('GET', '/v1/customers/alice/stats');
  assert.equal(stats.status, 200);
  assert.equal(stats.body.visits, 1, 'counted once, by the trigger on the visit row');
});

test('an unknown code is reported invalid and its cookie removed', async () => {
  const { context, answer } = await visit(`${site.origin}/?ref=nosuchcode`);
  assert.deepEqual(answer, { visit_id: null, valid: false });
  let cookie = await cookieNamed(context, 'edgeref_ref');
  for (let i = 0; i < 50 && cookie; i++) {
    await new Promise((r) => setTimeout(r, 50));
    cookie = await cookieNamed(context, 'edgeref_ref');
  }
  assert.equal(cookie, undefined, 'the invalid code does not stay in the cookie');
  await context.close();
  // Visits land through the queue: once a later one is in D1, this one would be too.
  const sentinel = (await seed.api('POST', '/v1/customers', { key: 'sentinel', email: 'sentinel@example.com' })).body;
  await ingestDrained(worker, seed.program, sentinel.referral_code);
  const rows = await worker.sql(`SELECT COUNT(*) AS n FROM visits WHERE code = 'nosuchcode'`);
  assert.equal(rows[0].n, 0, 'the unknown code was not stored');
});

test('the demo page served by the Worker tracks a referred visit', async () => {
  const code = seed.alice.referral_code;
  const { context, answer, page } = await visit(`${worker.url}/demo/?program=${seed.program.public_id}&ref=${code}`);
  assert.equal(answer.valid, true);
  assert.equal((await cookieNamed(context, 'edgeref_ref'))?.value, code);
  await page.waitForFunction((c) => document.getElementById('code').textContent === c, code);
  await context.close();
  await eventually(async () => (await seed.api('GET', '/v1/customers/alice/stats')).body.visits === 2);
});

/** `r` is exactly DESIGN.md's error object: `{"error": {"code", "message", "field"?}}`, nothing else. */
function errorShape(r, status, code, field) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(r.body), ['error']);
  const keys = Object.keys(r.body.error).sort();
  assert.deepEqual(keys, field === undefined ? ['code', 'message'] : ['code', 'field', 'message'], JSON.stringify(r.body));
  assert.equal(r.body.error.code, code);
  assert.ok(typeof r.body.error.message === 'string' && r.body.error.message.length > 0);
  if (field !== undefined) assert.equal(r.body.error.field, field);
}

test('bad input gets the JSON error shape, never a 500', async () => {
  const owner = client(worker.url, ADMIN_TOKEN);
  errorShape(await owner('POST', '/v1/programs', '{"name":'), 400, 'malformed_request');
  errorShape(await owner('POST', '/v1/programs', { name: 'x' }), 422, 'validation_failed', 'website_url');
  errorShape(await owner('POST', '/v1/programs', { name: 'x', website_url: 'javascript:alert(1)' }), 422, 'validation_failed', 'website_url');
  errorShape(await client(worker.url)('GET', '/v1/programs'), 401, 'unauthorized');
  errorShape(await client(worker.url, 'wrong')('GET', '/v1/programs'), 401, 'unauthorized');
  errorShape(await client(worker.url, 'erk_wrong')('GET', '/v1/customers/alice'), 401, 'unauthorized');
  errorShape(await seed.api('POST', '/v1/customers', { key: 'bob', email: 'not-an-email' }), 422, 'validation_failed', 'email');
  errorShape(await seed.api('GET', '/v1/customers/nobody'), 404, 'not_found');
  errorShape(await owner('POST', '/v1/programs', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
  errorShape(await owner('POST', '/v1/programs', JSON.stringify({ name: 'x', website_url: 'https://x.example/', pad: 'x'.repeat(70 * 1024) })), 413, 'payload_too_large');
  errorShape(await client(worker.url)('POST', '/t/visit', 'not json', { 'content-type': 'text/plain' }), 400, 'malformed_request');
});
