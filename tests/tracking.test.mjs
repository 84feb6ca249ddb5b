// Tracking in a real browser: the Rust snippet on a merchant page of another
// origin, the real Worker behind it. Formats, cookies, click rules, SPAs,
// signups and refusals, the documented CSP and restrictive ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startWorker, startMerchantSite, launchBrowser, createProgram, merchantPage, client, eventually, ingestDrained, ADMIN_TOKEN } from './harness.mjs';

let worker, browser;
before(async () => { worker = await startWorker(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await worker?.stop(); });

/** A program on its own merchant site, with a referrer (alice) and a second one (bob). */
async function shop(tracking, { body = '', head = '', headers } = {}) {
  const site = await startMerchantSite();
  const { program, api } = await createProgram(worker, { website_url: `${site.origin}/`, ...(tracking ? { tracking } : {}) });
  const alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com' })).body;
  const bob = (await api('POST', '/v1/customers', { key: 'bob', email: 'bob@example.com' })).body;
  site.page('*', merchantPage(program.snippet, body, head), headers);
  return { site, program, api, alice, bob };
}

async function open(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const beacon = page.waitForResponse((r) => r.url().endsWith('/t/visit'), { timeout: 10_000 });
  await page.goto(url);
  const response = await beacon;
  return { page, errors, answer: await response.json() };
}

const cookie = async (context, name = 'edgeref_ref') => (await context.cookies()).find((c) => c.name === name);
const visitsOf = async (api, key) => (await api('GET', `/v1/customers/${key}/stats`)).body.visits;

test('path links with a custom parameter and a lifetime cookie', async () => {
  const { site, api, alice } = await shop({ link_format: 'path', param: 'a', cookie_days: null });
  assert.equal(alice.referral_link, `${site.origin}/a/${alice.referral_code}`);
  const context = await browser.newContext();
  const t0 = Date.now() / 1000;
  const { answer, errors } = await open(context, `${alice.referral_link}/pricing`);
  assert.equal(answer.valid, true);
  const c = await cookie(context);
  assert.equal(c.value, alice.referral_code);
  assert.ok(Math.abs(c.expires - t0 - 400 * 86400) < 120, 'lifetime = 400 days, the browsers’ cap');
  assert.deepEqual(errors, []);
  // A later visit without a code renews the lifetime cookie.
  await context.clearCookies();
  await context.addCookies([{ name: 'edgeref_ref', value: alice.referral_code, url: site.origin, expires: t0 + 86400 }]);
  const page = await context.newPage();
  await page.goto(`${site.origin}/later`);
  await page.waitForFunction(() => window.edgeref && !window.edgeref.q);
  await eventually(async () => (await cookie(context)).expires - t0 > 300 * 86400);
  await eventually(async () => (await visitsOf(api, 'alice')) === 1);
  await context.close();
  await site.stop();
});

test('a www. site shares the cookie with its other subdomains; a preview host gets no foreign domain', async () => {
  const site = await startMerchantSite();
  const port = new URL(site.origin).port;
  const { program, api } = await createProgram(worker, { website_url: `http://www.shop.test:${port}/` });
  const alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com' })).body;
  site.page('*', merchantPage(program.snippet));
  const context = await browser.newContext();
  const { answer, errors } = await open(context, alice.referral_link);
  assert.equal(answer?.valid, true);
  assert.equal((await cookie(context)).domain, '.shop.test', 'shared with app.shop.test, shop.test');
  assert.equal((await cookie(context, 'edgeref_vid'))?.domain, '.shop.test');
  assert.deepEqual(errors, []);
  // The same program's loader on localhost (a preview): a Domain=shop.test cookie would be dropped.
  const preview = await browser.newContext();
  await open(preview, `${site.origin}/?ref=${alice.referral_code}`);
  assert.equal((await cookie(preview)).domain, 'localhost');
  await context.close();
  await preview.close();
  await site.stop();
});

test('last click replaces the cookie; first click keeps it', async () => {
  for (const attribution of ['last_click', 'first_click']) {
    const { site, alice, bob } = await shop({ attribution, cookie_days: 7 });
    const context = await browser.newContext();
    await open(context, `${site.origin}/?ref=${alice.referral_code}`);
    const first = await cookie(context);
    assert.ok(Math.abs(first.expires - Date.now() / 1000 - 7 * 86400) < 120, '7-day cookie');
    await open(context, `${site.origin}/?ref=${bob.referral_code}`);
    const expected = attribution === 'last_click' ? bob.referral_code : alice.referral_code;
    assert.equal((await cookie(context)).value, expected, attribution);
    await context.close();
    await site.stop();
  }
});

test('SPA navigations are tracked once each, never twice', async () => {
  const { site, api, alice, bob, program } = await shop(undefined);
  const context = await browser.newContext();
  const { page } = await open(context, `${site.origin}/?ref=${alice.referral_code}`);
  const beacons = [];
  page.on('request', (r) => { if (r.url().endsWith('/t/visit')) beacons.push(r); });
  await page.evaluate((code) => {
    history.pushState({}, '', `/product?ref=${code}`);
    history.pushState({}, '', `/product?ref=${code}`); // the same URL again: not a new view
    history.replaceState({}, '', `/checkout?ref=${code}`);
    history.pushState({}, '', '/no-code');
  }, alice.referral_code);
  await page.goBack(); // popstate back to /checkout?ref=…
  await eventually(async () => beacons.length >= 3);
  const paths = beacons.map((r) => new URL(JSON.parse(r.postData()).url).pathname);
  assert.deepEqual(paths, ['/product', '/checkout', '/checkout']);
  // Stored: the landing view, /product and /checkout. Coming back to /checkout
  // minutes later is the same visit for the Worker (same visitor, same link).
  // Counted once the queue has written everything answered so far, so a fourth would show.
  await Promise.all(beacons.map((r) => r.response()));
  await ingestDrained(worker, program, bob.referral_code);
  assert.equal(await visitsOf(api, 'alice'), 3);
  const [{ n }] = await worker.sql(`SELECT COUNT(*) AS n FROM visits WHERE referrer_key = 'alice' AND url LIKE '%/checkout%'`);
  assert.equal(n, 1);
  await context.close();
  await site.stop();
});

test('a signup through the snippet creates the referred customer; refusals carry their reason', async () => {
  const { site, api, alice } = await shop(undefined, { body: '<p id="out"></p>' });
  const context = await browser.newContext();
  const { page } = await open(context, `${site.origin}/?ref=${alice.referral_code}`);
  await page.waitForFunction(() => window.edgeref && !window.edgeref.q);
  const code = await page.evaluate(() => edgeref('referral'));
  assert.equal(code, alice.referral_code);
  const result = await page.evaluate(() => edgeref('signup', { key: 'carol', email: 'carol@example.com', name: 'Carol' }));
  assert.equal(result.attributed, true);
  assert.match(result.referral_link, /\?ref=/);
  assert.equal(result.email, undefined, 'the browser learns nothing private');
  const carol = await api('GET', '/v1/customers/carol');
  assert.equal(carol.body.referred_by, 'alice');
  const again = await page.evaluate(() => edgeref('signup', { key: 'carol', email: 'carol@example.com' }));
  assert.deepEqual(again, result, 'idempotent per customer key');
  const self = await page.evaluate(() => edgeref('signup', { key: 'alice-2', email: 'ALICE@example.com' }));
  assert.deepEqual([self.attributed, self.reason], [false, 'self_referral'], 'the same address is a self-referral');
  // (The same mailbox with a +tag is attributed and flagged for review: tests/rewards.test.mjs.)
  const [refusal] = await worker.sql(`SELECT reason FROM signups WHERE customer_key = 'alice-2'`);
  assert.equal(refusal.reason, 'self_referral', 'every refusal is recorded with its reason');
  await context.close();

  // Unknown code and an expired visit, reported by the same endpoint.
  const anon = client(worker.url);
  const program = (await client(worker.url, ADMIN_TOKEN)('GET', '/v1/programs')).body.data.find((p) => p.website_url.startsWith(site.origin));
  const unknown = await anon('POST', '/t/signup', JSON.stringify({ program: program.public_id, code: 'nope', customer: { key: 'dan', email: 'dan@example.com' } }), { 'content-type': 'text/plain' });
  assert.deepEqual([unknown.body.attributed, unknown.body.reason], [false, 'unknown_code']);
  const old = Date.now() - 40 * 86_400_000;
  await worker.sql(`INSERT INTO visits (id, program_id, code, referrer_key, url, referrer, created_at) VALUES ('vis_old', '${program.id}', '${alice.referral_code}', 'alice', '', '', ${old})`);
  const expired = await anon('POST', '/t/signup', JSON.stringify({ program: program.public_id, code: alice.referral_code, visit_id: 'vis_old', customer: { key: 'eve', email: 'eve@example.com' } }), { 'content-type': 'text/plain' });
  assert.deepEqual([expired.body.attributed, expired.body.reason], [false, 'expired']);
  // The merchant's backend can attribute with the code it captured (OAuth, ITP).
  const server = await api('POST', '/v1/signups', { code: alice.referral_code, customer: { key: 'frank', email: 'frank@example.com' } });
  assert.equal(server.body.attributed, true);
  assert.equal((await api('GET', '/v1/customers/frank')).body.referred_by, 'alice');
  await site.stop();
});

test('calls queued before the snippet loads are replayed in order', async () => {
  const body = `<script>
    window.log = [];
    edgeref('referral', function (c) { log.push('referral:' + c); });
    edgeref('reward', function (r) { log.push(r); });
  </script>`;
  const { site, alice, program } = await shop(undefined, { body });
  await client(worker.url, ADMIN_TOKEN)('PATCH', `/v1/programs/${program.id}`, { rewards: { referrer: { type: 'percent', percent: 10 }, friend: { type: 'coupon', code: 'FRIEND10', description: '10% off' } } });
  const context = await browser.newContext();
  const { page } = await open(context, `${site.origin}/?ref=${alice.referral_code}`);
  await page.waitForFunction(() => window.log.length === 2);
  assert.deepEqual(await page.evaluate(() => window.log), [`referral:${alice.referral_code}`, { type: 'coupon', code: 'FRIEND10', description: '10% off' }]);
  await context.close();
  await site.stop();
});

// The loader alone on page views with nothing to track; the module (its JS and wasm) when there may be.
const moduleFiles = (urls) => urls.filter((u) => /\/s\/snippet_bg\.(js|wasm)/.test(new URL(u).pathname));

/** A page of `site` whose loader arrives only after the page's own calls (delayed by `ms`), recording every request. */
async function watched(context, url, ms = 0) {
  const page = await context.newPage();
  const seen = { requests: [], thrown: [] };
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('pageerror', (e) => seen.thrown.push(String(e)));
  if (ms) await page.route(/\/s\/[^/]+\.js$/, async (route) => { await new Promise((r) => setTimeout(r, ms)); await route.continue(); });
  await page.goto(url);
  // The loader ran: the page's stub was replaced.
  await page.waitForFunction(() => window.edgeref && window.edgeref.c !== undefined || (window.edgeref && !window.edgeref.q));
  return { page, seen };
}

test('a plain page view downloads the loader only; its calls answer null in order without the module', async () => {
  const body = `<script>
    window.log = [];
    edgeref('referral', function (c) { log.push('referral:' + c); });
    edgeref('reward', function (r) { log.push('reward:' + r); });
    edgeref('signup', { key: 'zoe', email: 'zoe@example.com' }, function (r) { log.push('signup:' + r); });
  </script>`;
  const { site, alice } = await shop(undefined, { body });
  const context = await browser.newContext();
  const { page, seen } = await watched(context, `${site.origin}/pricing?x=1`, 300);
  await page.waitForFunction(() => window.log.length === 3);
  assert.deepEqual(await page.evaluate(() => window.log), ['referral:null', 'reward:null', 'signup:null']);
  assert.equal(await page.evaluate(() => edgeref('referral')), null);
  assert.equal(await page.evaluate(() => edgeref('no-such-command')), null, 'an unknown command does not load the module either');
  assert.deepEqual(moduleFiles(seen.requests), [], 'no module');
  assert.deepEqual(seen.requests.filter((u) => u.includes('/t/')), [], 'no beacon');
  assert.deepEqual(seen.thrown, []);
  // The same visitor arrives through a link: the module loads and tracks.
  const { answer } = await open(context, `${site.origin}/?ref=${alice.referral_code}`);
  assert.equal(answer.valid, true);
  await context.close();
  await site.stop();
});

test('a parameter that only looks like the program’s loads nothing', async () => {
  for (const [tracking, path] of [[undefined, '/?reference=CODE&xref=CODE&REF=CODE&ref'], [{ link_format: 'path', param: 'a' }, '/ab/CODE/a']]) {
    const { site, alice } = await shop(tracking);
    const context = await browser.newContext();
    const { page, seen } = await watched(context, site.origin + path.replaceAll('CODE', alice.referral_code));
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    assert.deepEqual(moduleFiles(seen.requests), [], path);
    assert.equal(await cookie(context), undefined);
    await context.close();
    await site.stop();
  }
});

test('a returning visitor’s cookie is renewed; queued calls before the loader still run in order', async () => {
  const body = `<script>
    window.log = [];
    edgeref('reward', function (r) { log.push('reward:' + (r && r.code)); });
    edgeref('referral', function (c) { log.push('referral:' + c); });
  </script>`;
  // Lifetime cookies are the ones a visit renews (the rule is the module's: edgeref-shared `cookie::decide`).
  const { site, alice, program } = await shop({ cookie_days: null }, { body });
  await client(worker.url, ADMIN_TOKEN)('PATCH', `/v1/programs/${program.id}`, { rewards: { referrer: { type: 'percent', percent: 10 }, friend: { type: 'coupon', code: 'FRIEND10', description: '10% off' } } });
  const context = await browser.newContext();
  const t0 = Date.now() / 1000;
  await context.addCookies([{ name: 'edgeref_ref', value: alice.referral_code, url: site.origin, expires: t0 + 86400 }]);
  const { page, seen } = await watched(context, `${site.origin}/account`, 300);
  await page.waitForFunction(() => window.log.length === 2);
  assert.deepEqual(await page.evaluate(() => window.log), ['reward:FRIEND10', `referral:${alice.referral_code}`]);
  await eventually(async () => (await cookie(context)).expires - t0 > 300 * 86400);
  assert.equal(moduleFiles(seen.requests).length, 2, 'the module’s JS and wasm');
  assert.deepEqual(seen.requests.filter((u) => u.endsWith('/t/visit')), [], 'a renewal is not a visit');
  await context.close();
  await site.stop();
});

test('an SPA navigation from a plain page to a referral link loads the module then and tracks', async () => {
  const { site, alice } = await shop(undefined);
  const context = await browser.newContext();
  const { page, seen } = await watched(context, `${site.origin}/`);
  assert.deepEqual(moduleFiles(seen.requests), []);
  const beacon = page.waitForResponse((r) => r.url().endsWith('/t/visit'), { timeout: 10_000 });
  await page.evaluate((code) => history.pushState({}, '', `/landing?ref=${code}`), alice.referral_code);
  const sent = await beacon;
  assert.equal((await sent.json()).valid, true);
  assert.equal(new URL(JSON.parse(sent.request().postData()).url).pathname, '/landing');
  assert.equal((await cookie(context)).value, alice.referral_code);
  assert.equal(await page.evaluate(() => edgeref('referral')), alice.referral_code);
  assert.equal(moduleFiles(seen.requests).length, 2, 'loaded once');
  await context.close();
  await site.stop();
});

test('the loader revalidates with its ETag (304) and names an immutable module', async () => {
  const { site, program } = await shop(undefined);
  const url = `${worker.url}/s/${program.public_id}.js`;
  const first = await fetch(url);
  const etag = first.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{16}"$/);
  const body = await first.text();
  const [base, version] = /"e":"([^"]+)".*"v":"([0-9a-f]{8})"/.exec(body).slice(1);
  const js = `${base}/s/snippet_bg.js?v=${version}`;
  const again = await fetch(url, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal((await fetch(url, { headers: { 'if-none-match': '"0000000000000000"' } })).status, 200);
  const module = await fetch(js);
  assert.equal(module.status, 200);
  assert.match(module.headers.get('cache-control'), /immutable/);
  // A settings change is a new loader at once in this isolate.
  await client(worker.url, ADMIN_TOKEN)('PATCH', `/v1/programs/${program.id}`, { tracking: { param: 'via' } });
  const changed = await fetch(url, { headers: { 'if-none-match': etag } });
  assert.equal(changed.status, 200);
  assert.match(await changed.text(), /"n":"via"/);
  await site.stop();
});

// CSP: a merchant page whose own script is a file (no inline script), so the policy is exactly what it says.
const PAGE_SCRIPT = `window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(e.blockedURI));
window.edgeref = window.edgeref || function () { (edgeref.q = edgeref.q || []).push(arguments); };
edgeref('referral', function (code) { window.referral = code; });
document.addEventListener('DOMContentLoaded', () => { document.getElementById('own').textContent = 'page script ran'; });`;

/** A program whose site sends `csp`, and a browser page that records what it throws, logs and requests. */
async function cspShop(csp) {
  const { site, alice, program } = await shop(undefined);
  site.page('*', `<!doctype html><html><head><meta charset="utf-8"><script src="/app.js"></script>${program.snippet}</head><body><p id="own"></p></body></html>`,
    { 'content-security-policy': csp });
  site.page('/app.js', PAGE_SCRIPT, { 'content-type': 'text/javascript' });
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = { thrown: [], requests: [], console: [] };
  page.on('pageerror', (e) => seen.thrown.push(String(e)));
  page.on('console', (m) => seen.console.push(`${m.type()}: ${m.text()}`));
  page.on('request', (r) => seen.requests.push(r.url()));
  return { site, alice, context, page, seen, link: `${site.origin}/?ref=${alice.referral_code}` };
}

/** The page is whole and the snippet did nothing: no beacon, no cookie, its queue untouched. */
async function assertUnharmedAndUntracked({ page, context, seen }) {
  assert.equal(await page.textContent('#own'), 'page script ran');
  assert.deepEqual(seen.thrown, [], 'nothing thrown into the page');
  assert.deepEqual(seen.requests.filter((u) => u.endsWith('/t/visit')), [], 'no beacon');
  assert.equal(await cookie(context), undefined);
  assert.equal(await page.evaluate(() => window.referral), undefined, 'the page’s queued call is unanswered: the module never started');
  assert.equal(await page.evaluate(() => typeof window.edgeref.q), 'object', 'calls still queue');
}

test('the CSP docs/tracking.md recommends lets the snippet track', async () => {
  const documented = /## 3\. Content Security Policy[\s\S]*?```\n(.+)\n```/.exec(await readFile(new URL('../docs/tracking.md', import.meta.url), 'utf8'))[1];
  assert.match(documented, /YOUR-WORKER/);
  const shopWithCsp = await cspShop(documented.replaceAll('https://YOUR-WORKER', worker.url));
  const { page, context, seen, alice, link } = shopWithCsp;
  const beacon = page.waitForResponse((r) => r.url().endsWith('/t/visit'), { timeout: 10_000 });
  await page.goto(link);
  assert.equal((await (await beacon).json()).valid, true);
  await page.waitForFunction(() => window.referral !== undefined);
  assert.equal(await page.evaluate(() => window.referral), alice.referral_code, 'the page’s queued call was answered');
  assert.equal((await cookie(context)).value, alice.referral_code);
  assert.equal(await page.textContent('#own'), 'page script ran');
  assert.deepEqual([seen.thrown, await page.evaluate(() => window.violations)], [[], []], 'no error, no CSP violation');
  await context.close();
  await shopWithCsp.site.stop();
});

test('a CSP that blocks the Worker leaves the page unharmed', async () => {
  const blocked = await cspShop("default-src 'self'");
  await blocked.page.goto(blocked.link);
  // The browser reports the refused loader to the page: from then on the snippet cannot run.
  await blocked.page.waitForFunction(() => violations.some((u) => u.includes('/s/')), null, { timeout: 5000 });
  await assertUnharmedAndUntracked(blocked);
  assert.deepEqual(blocked.seen.requests.filter((u) => new URL(u).pathname.endsWith('.wasm')), [], 'no wasm fetched');
  await blocked.context.close();
  await blocked.site.stop();
});

test('a CSP without wasm-unsafe-eval leaves the page unharmed; in debug mode the loader says why', async () => {
  const noWasm = await cspShop(`script-src 'self' ${worker.url}; connect-src 'self' ${worker.url}`);
  const said = noWasm.page.waitForEvent('console', { predicate: (m) => m.text().startsWith('edgeref:'), timeout: 5000 });
  await noWasm.page.goto(`${noWasm.link}&edgeref_debug=1`);
  // The loader's last word: after it, nothing of the snippet runs.
  const message = await said;
  assert.equal(message.type(), 'info');
  assert.match(message.text(), /^edgeref: could not start: .*(WebAssembly|wasm)/i);
  await assertUnharmedAndUntracked(noWasm);
  assert.deepEqual(noWasm.seen.console.filter((m) => m.includes('edgeref')), [message.type() + ': ' + message.text()], 'one line, and only because debug mode asked');
  await noWasm.context.close();
  await noWasm.site.stop();
});
