// First-party tracking in a real browser against the real Worker: a shop under a
// multi-label public suffix (www.shop.co.uk), its sibling evil.co.uk, and the
// Worker reached as the shop's own first-party endpoint ref.shop.co.uk (another
// port of the same site, mapped to 127.0.0.1 by Chromium's host rules), where it
// sets the referral cookies from the server. Redirect links with JavaScript off,
// first/last click on server-set cookies, link previewers, bad codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, startMerchantSite, launchBrowser, createProgram, merchantPage, eventually, ingestDrained, DESKTOP_UA } from './harness.mjs';

let worker, browser, site, shopOrigin, endpointOrigin, oldest;
before(async () => {
  worker = await startWorker();
  browser = await launchBrowser({ hosts: ['*.co.uk'] });
  site = await startMerchantSite();
  const port = new URL(site.origin).port;
  shopOrigin = `http://www.shop.co.uk:${port}`;
  endpointOrigin = `http://ref.shop.co.uk:${new URL(worker.url).port}`;
  // The oldest program: where a redirect link that matches nothing goes.
  oldest = (await createProgram(worker, { website_url: 'https://first.example/' })).program;
});
after(async () => { await browser?.close(); await site?.stop(); await worker?.stop(); });

/** A program for the shop (its pages at `path/…` on www.shop.co.uk) with referrers alice and bob. */
async function shop(path, tracking = {}) {
  const { program, api } = await createProgram(worker, { website_url: `${shopOrigin}${path}/`, tracking });
  const alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com' })).body;
  const bob = (await api('POST', '/v1/customers', { key: 'bob', email: 'bob@example.com' })).body;
  site.page(`${path}/`, merchantPage(program.snippet));
  return { program, api, alice, bob };
}

const cookie = async (context, name = 'edgeref_ref') => (await context.cookies()).find((c) => c.name === name);
const visitsOf = async (api, key) => (await api('GET', `/v1/customers/${key}/stats`)).body.visits;

/** Opens `url` and resolves with the page and the visit beacon's response. */
async function open(context, url) {
  const page = await context.newPage();
  const beacon = page.waitForResponse((r) => r.url().endsWith('/t/visit') && r.request().method() === 'POST', { timeout: 10_000 });
  await page.goto(url);
  return { page, beacon: await beacon };
}

test('a shop under a multi-label public suffix gets its cookie on its registrable domain, and its visit', async () => {
  const { alice, api } = await shop('/plain');
  const context = await browser.newContext();
  const { beacon } = await open(context, alice.referral_link);
  assert.equal(beacon.status(), 202);
  assert.equal((await beacon.json()).valid, true);
  assert.equal(beacon.headers()['access-control-allow-origin'], shopOrigin, 'the exact origin');
  assert.equal(beacon.headers()['access-control-allow-credentials'], 'true');
  assert.equal((await beacon.allHeaders())['set-cookie'], undefined, 'the Worker on its own host is not first-party: the snippet writes the cookie');
  const c = await cookie(context);
  assert.equal(c.value, alice.referral_code);
  assert.equal(c.domain, '.shop.co.uk', 'shop.co.uk, never co.uk');
  assert.equal((await cookie(context, 'edgeref_vid'))?.domain, '.shop.co.uk');
  await eventually(async () => (await visitsOf(api, 'alice')) === 1);
  await context.close();
});

test('a sibling site under the same public suffix is refused by /t/*', async () => {
  const { program, alice, api } = await shop('/sibling');
  const evil = `http://evil.co.uk:${new URL(site.origin).port}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const sent = page.waitForRequest((r) => r.url().endsWith('/t/visit'), { timeout: 10_000 });
  await page.goto(`${evil}/sibling/?ref=${alice.referral_code}`);
  // Refused (403, no CORS headers): the browser reports either the 403 or only a CORS failure,
  // and each is checked for what it is.
  const request = await sent;
  const refused = await request.response().catch(() => null);
  if (refused) assert.equal(refused.status(), 403);
  else assert.match(request.failure()?.errorText ?? 'no failure reported', /net::ERR_FAILED/, 'a CORS refusal');
  assert.equal(await cookie(context, 'edgeref_vid'), undefined, 'no visit id for the sibling');
  for (const path of ['/t/visit', '/t/signup', '/_edgeref/t/visit']) {
    const r = await fetch(`${worker.url}${path}`, { method: 'POST', headers: { origin: evil, 'content-type': 'text/plain', 'user-agent': DESKTOP_UA },
      body: JSON.stringify({ program: program.public_id, code: alice.referral_code, customer: { key: 'e', email: 'e@example.com' } }) });
    assert.equal(r.status, 403, path);
    assert.equal(r.headers.get('access-control-allow-origin'), null, path);
  }
  // Preflights: the shop's origin gets credentialed CORS, the sibling nothing.
  const preflight = (origin) => fetch(`${worker.url}/t/visit`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
  const ok = await preflight(shopOrigin);
  assert.equal(ok.headers.get('access-control-allow-origin'), shopOrigin);
  assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
  assert.equal((await preflight(evil)).headers.get('access-control-allow-origin'), null);
  await ingestDrained(worker, program, alice.referral_code);
  assert.equal(await visitsOf(api, 'alice'), 1, 'only the drain beacon');
  await context.close();
});

test('through a first-party endpoint the beacon answer sets the cookies from the server', async () => {
  const endpoint = `${endpointOrigin}/_edgeref`;
  const { program, alice, api } = await shop('/endpoint', { endpoint });
  assert.equal(program.snippet, `<script async src="${endpoint}/s/${program.public_id}.js"></script>`);
  assert.equal(alice.short_link, `${endpoint}/r/${alice.referral_code}`);
  const context = await browser.newContext();
  const { beacon } = await open(context, alice.referral_link);
  assert.equal(beacon.url(), `${endpoint}/t/visit`);
  assert.equal(beacon.status(), 202);
  const { visit_id: visitId } = await beacon.json();
  const setCookie = (await beacon.headersArray()).filter((h) => h.name.toLowerCase() === 'set-cookie').map((h) => h.value).join('\n');
  assert.match(setCookie, new RegExp(`edgeref_ref=${alice.referral_code}; Max-Age=2592000; Path=/; SameSite=Lax; Domain=shop\\.co\\.uk`));
  assert.match(setCookie, new RegExp(`edgeref_vid=${visitId}; Max-Age=2592000; Path=/; SameSite=Lax; Domain=shop\\.co\\.uk`));
  assert.doesNotMatch(setCookie, /Secure/, 'plain http in the test: no Secure flag');
  assert.equal((await cookie(context)).domain, '.shop.co.uk');
  assert.equal((await cookie(context, 'edgeref_vid')).value, visitId);
  await eventually(async () => (await visitsOf(api, 'alice')) === 1);
  await context.close();
});

test('a redirect link on the first-party endpoint sets the cookie with JavaScript off, and counts the visit once', async () => {
  const { alice, api } = await shop('/nojs', { endpoint: endpointOrigin, cookie_days: null });
  assert.equal(alice.short_link, `${endpointOrigin}/r/${alice.referral_code}`);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const t0 = Date.now() / 1000;
  const landed = await page.goto(alice.short_link);
  assert.equal(page.url(), alice.referral_link, 'on to the referral link, code included');
  assert.equal(landed.status(), 200);
  const redirect = landed.request().redirectedFrom().response();
  assert.equal((await redirect).status(), 302);
  assert.equal((await (await redirect).allHeaders())['cache-control'], 'no-store');
  const c = await cookie(context);
  assert.equal(c.value, alice.referral_code, 'set by the server: no script ran');
  assert.equal(c.domain, '.shop.co.uk');
  assert.ok(Math.abs(c.expires - t0 - 400 * 86400) < 120, 'lifetime = 400 days');
  assert.match((await cookie(context, 'edgeref_vid')).value, /^vis_/);
  await eventually(async () => (await visitsOf(api, 'alice')) === 1);
  // The same redirect again (a reload) is the same visit.
  await page.goto(alice.short_link);
  await ingestDrained(worker, await programOf(api), alice.referral_code);
  assert.equal(await visitsOf(api, 'alice'), 2, 'one redirect visit (the reload folded in) and the drain beacon');
  await context.close();
});

test('a short link followed with JavaScript on is one visit: the snippet\'s beacon folds into the redirect\'s', async () => {
  const { alice, api } = await shop('/both', { endpoint: endpointOrigin });
  const context = await browser.newContext();
  const { page, beacon } = await open(context, alice.short_link);
  assert.equal(page.url(), alice.referral_link);
  const { visit_id: visitId } = await beacon.json();
  assert.equal((await cookie(context, 'edgeref_vid')).value, visitId, 'the redirect\'s visit, confirmed by the beacon');
  await ingestDrained(worker, await programOf(api), alice.referral_code);
  assert.equal(await visitsOf(api, 'alice'), 2, 'one visit for the click, one for the drain beacon');
  await context.close();
});

async function programOf(api) {
  const { program } = (await api('GET', '/v1/me')).body;
  const [row] = await worker.sql(`SELECT public_id FROM programs WHERE id = '${program.id}'`);
  return { id: program.id, public_id: row.public_id };
}

test('first and last click hold when the server writes the cookie', async () => {
  for (const attribution of ['last_click', 'first_click']) {
    const { alice, bob } = await shop(`/${attribution}`, { endpoint: endpointOrigin, attribution, cookie_days: 7 });
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(alice.short_link);
    const first = await cookie(context);
    assert.equal(first.value, alice.referral_code);
    assert.ok(Math.abs(first.expires - Date.now() / 1000 - 7 * 86400) < 120, '7-day cookie');
    const firstVisit = (await cookie(context, 'edgeref_vid')).value;
    await page.goto(bob.short_link);
    const winner = attribution === 'last_click' ? bob.referral_code : alice.referral_code;
    assert.equal((await cookie(context)).value, winner, attribution);
    const visit = (await cookie(context, 'edgeref_vid')).value;
    if (attribution === 'first_click') assert.equal(visit, firstVisit, 'the kept cookie keeps its visit');
    else assert.notEqual(visit, firstVisit);
    await context.close();
  }
});

test('link previewers get the redirect but count nothing and get no cookie', async () => {
  const { alice, api } = await shop('/previewed', { endpoint: endpointOrigin });
  const program = await programOf(api);
  for (const ua of ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'facebookexternalhit/1.1', 'Mozilla/5.0 (compatible; Discordbot/2.0)',
    'WhatsApp/2.23 preview', 'TelegramBot (like TwitterBot)', '']) {
    const r = await fetch(`${worker.url}/r/${alice.referral_code}`, { redirect: 'manual', headers: { 'user-agent': ua } });
    assert.equal(r.status, 302, ua);
    assert.equal(r.headers.get('location'), alice.referral_link, ua);
    assert.equal(r.headers.get('set-cookie'), null, ua);
  }
  // A link checker's HEAD with a browser's user agent: the redirect, uncounted.
  const head = await fetch(`${worker.url}/r/${alice.referral_code}`, { method: 'HEAD', redirect: 'manual', headers: { 'user-agent': DESKTOP_UA, 'cf-connecting-ip': '10.9.9.9' } });
  assert.equal(head.status, 302);
  assert.equal(head.headers.get('set-cookie'), null);
  // A person's click through the same link counts.
  const person = await fetch(`${worker.url}/_edgeref/r/${alice.referral_code}`, { redirect: 'manual', headers: { 'user-agent': DESKTOP_UA } });
  assert.equal(person.status, 302);
  assert.equal(person.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
  await ingestDrained(worker, program, alice.referral_code);
  const rows = await worker.sql(`SELECT url, bot FROM visits WHERE program_id = '${program.id}' AND url NOT LIKE 'https://drain.example/%'`);
  assert.deepEqual(rows, [{ url: alice.referral_link, bot: 0 }], 'the person only');
  assert.equal(await visitsOf(api, 'alice'), 2, 'the person and the drain beacon');
});

test('a redirect link with a bad or unknown code goes to the website without a code, storing nothing', async () => {
  const { api } = await shop('/badcodes', { endpoint: endpointOrigin });
  const visitsBefore = (await worker.sql('SELECT COUNT(*) AS n FROM visits'))[0].n;
  for (const code of ['unknown1', 'bad!code', 'x'.repeat(300), '%00']) {
    const r = await fetch(`${worker.url}/r/${code}`, { redirect: 'manual', headers: { 'user-agent': DESKTOP_UA } });
    assert.equal(r.status, 302, code);
    assert.equal(r.headers.get('location'), oldest.website_url, 'no host to go by: the oldest program');
    assert.equal(r.headers.get('set-cookie'), null);
  }
  // On a program's own host, its website; no cookie, JavaScript off or not.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${endpointOrigin}/r/unknown1`);
  assert.match(page.url(), new RegExp(`^${shopOrigin}/[a-z_/]*$`), 'a shop.co.uk program’s website, no code');
  assert.equal(await cookie(context), undefined);
  await context.close();
  await ingestDrained(worker, await programOf(api), (await api('GET', '/v1/customers/alice')).body.referral_code);
  assert.equal((await worker.sql('SELECT COUNT(*) AS n FROM visits'))[0].n, visitsBefore + 1, 'only the drain beacon');
});
