// Portal tokens and /w/me against the real Worker: a merchant's server mints a
// token for one referrer, the referrer's browser reads its own data with it, and
// nothing lets it see another customer. Expiry and byte-level tampering are
// property-tested in Rust (shared/src/portal.rs); here the Worker's side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, createProgram, client, ADMIN_TOKEN } from './harness.mjs';

const SHOP = 'https://shop.example';
const EVIL = 'https://evil.example';
let worker, shop, owner;
// Keys unlike any name or email, so a leak of one is a leak of the key.
const friends = [
  { key: 'k-bob-71', email: 'bob@example.com', name: 'Bob', buys: 5000 },
  { key: 'k-carol-72', email: 'carol.c@mail.example', name: 'Carol', buys: 3000, refund: true },
  { key: 'k-dave-73', email: 'dave@example.com', name: null },
];

before(async () => {
  worker = await startWorker();
  owner = client(worker.url, ADMIN_TOKEN);
  shop = await createProgram(worker, { website_url: `${SHOP}/`, rewards: { referrer: { type: 'percent', percent: 10 }, friend: { type: 'percent', percent: 15 }, hold_days: 7 } });
  const { api } = shop;
  assert.equal((await api('POST', '/v1/customers', { key: 'k-alice-70', email: 'alice@example.com', name: 'Alice', surname: 'Liddell' })).status, 201);
  assert.equal((await api('POST', '/v1/customers', { key: 'k-erin-74', email: 'erin@example.com', name: 'Erin' })).status, 201, 'a stranger');
  for (const f of friends) {
    const r = await api('POST', '/v1/customers', { key: f.key, email: f.email, name: f.name, referring_customer: { key: 'k-alice-70' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    if (f.buys) assert.equal((await api('POST', '/v1/transactions', { key: `t-${f.key}`, customer: { key: f.key }, amount: f.buys, currency: 'EUR' })).status, 201);
    if (f.refund) await worker.sql(`UPDATE transactions SET refunded = amount WHERE key = 't-${f.key}'`);
  }
  assert.equal((await api('POST', '/v1/customers/k-alice-70/credit', { amount: 250, note: 'welcome' })).status, 201);
});
after(async () => { await worker?.stop(); });

const mint = async (key, body, api = shop.api) => api('POST', `/v1/customers/${encodeURIComponent(key)}/portal-token`, body);
const me = async (token, origin = SHOP) => {
  const headers = { origin };
  if (token !== undefined) headers.authorization = token.startsWith('raw:') ? token.slice(4) : `Bearer ${token}`;
  const r = await fetch(`${worker.url}/w/me`, { headers });
  const text = await r.text();
  return { status: r.status, text, body: JSON.parse(text), headers: r.headers };
};
const b64 = (s) => Buffer.from(s).toString('base64url');
/** The token with its program and customer fields replaced, signature kept. */
const forge = (token, { program, customer }) => {
  const [p, c, exp, sig] = token.split('.');
  return [program ? b64(program) : p, customer ? b64(customer) : c, exp, sig].join('.');
};

test('a minted token reads the referrer\'s own link, stats, balances and friend reward', async () => {
  const before = Math.floor(Date.now() / 1000);
  const minted = await mint('k-alice-70');
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  assert.deepEqual(Object.keys(minted.body).sort(), ['expires_at', 'portal_url', 'token']);
  const { token, expires_at, portal_url } = minted.body;
  assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.\d+\.[A-Za-z0-9_-]{43}$/);
  const ttl = Date.parse(expires_at) / 1000 - before;
  assert.ok(ttl >= 3595 && ttl <= 3605, `default ttl is an hour, got ${ttl}`);
  assert.equal(portal_url, `${worker.url}/portal/${shop.program.public_id}?token=${token}`);

  const r = await me(token);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('access-control-allow-origin'), SHOP);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  const customer = (await shop.api('GET', '/v1/customers/k-alice-70')).body;
  const stats = (await shop.api('GET', '/v1/customers/k-alice-70/stats')).body;
  const m = r.body;
  assert.deepEqual(Object.keys(m).sort(), ['balance', 'can_invite', 'currency', 'friend_reward', 'name', 'paid_total', 'pending_balance', 'program', 'promotion_code',
    'referral_code', 'referral_link', 'referrals', 'short_link', 'qr_svg', 'stats'].sort());
  assert.equal(m.promotion_code, null, 'a Stripe promotion code is a friend\'s (docs/fulfilment.md)');
  assert.equal(m.can_invite, false, 'e-mails are off: no invitations');
  assert.match(m.qr_svg, /^<\?xml[^>]*\?><svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, 'the QR code of the link, as SVG (decoded in tests/widget.test.mjs)');
  assert.equal(m.name, 'Alice');
  assert.deepEqual(m.program, { name: 'Shop' });
  for (const f of ['referral_code', 'referral_link', 'short_link', 'balance', 'pending_balance', 'paid_total']) assert.deepEqual(m[f], customer[f], f);
  assert.equal(m.balance, 250, 'the manual credit');
  assert.ok(m.pending_balance >= 500, "10 % of bob's sale, held");
  assert.equal(m.paid_total, 0);
  assert.deepEqual(m.stats, stats);
  assert.equal(m.stats.signups, 3);
  assert.equal(m.currency, 'EUR');
  assert.deepEqual(m.friend_reward, { type: 'percent', percent: 15 });
});

test('referred friends show a first name, a masked email, the join date and whether they bought: nothing more', async () => {
  const { token } = (await mint('k-alice-70')).body;
  const r = await me(token);
  assert.equal(r.status, 200);
  const byName = Object.fromEntries(r.body.referrals.map((f) => [f.name, f]));
  assert.equal(r.body.referrals.length, 3);
  for (const f of friends) {
    const seen = byName[f.name];
    assert.ok(seen, `${f.name} is listed`);
    assert.deepEqual(Object.keys(seen).sort(), ['email', 'joined_at', 'name', 'purchased']);
    const stored = (await shop.api('GET', `/v1/customers/${f.key}`)).body;
    assert.equal(seen.joined_at, stored.created_at);
    assert.equal(seen.email, `${f.email[0]}•••@${f.email.split('@')[1]}`);
    assert.equal(seen.purchased, Boolean(f.buys && !f.refund), `${f.name}: a fully refunded sale is not a purchase`);
  }
  // No other customer's key or full email, nor the referrer's surname-bearing record, anywhere in the answer.
  for (const other of [...friends, { key: 'k-erin-74', email: 'erin@example.com' }]) {
    assert.ok(!r.text.includes(other.key), `${other.key} leaked`);
    assert.ok(!r.text.includes(other.email), `${other.email} leaked`);
  }
  assert.ok(!r.text.includes('Erin'), 'a customer alice did not refer is not listed');
});

test("a token forged for every other customer's key, or another program, is refused", async () => {
  const { token } = (await mint('k-alice-70')).body;
  const other = await createProgram(worker, { website_url: `${SHOP}/other/` });
  assert.equal((await other.api('POST', '/v1/customers', { key: 'k-alice-70', email: 'alice@example.com' })).status, 201, 'the same key elsewhere');
  const forged = [
    ...[...friends.map((f) => f.key), 'k-erin-74'].map((customer) => forge(token, { customer })),
    forge(token, { program: other.program.id }),
  ];
  for (const f of forged) {
    const r = await me(f);
    assert.equal(r.status, 401, f);
    assert.equal(r.body.error.code, 'unauthorized');
  }
});

test('missing, malformed and tampered tokens are one generic 401 in the error shape', async () => {
  const { token } = (await mint('k-alice-70')).body;
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  const bad = [undefined, 'raw:', 'raw:Bearer', `raw:Basic ${token}`, 'garbage', '....', token.slice(0, -1) + last, token.slice(0, -1), `${token}.x`,
    token.replace(/\.(\d+)\./, (_, e) => `.${Number(e) + 86400}.`), ADMIN_TOKEN, shop.key.key];
  const messages = new Set();
  for (const t of bad) {
    const r = await me(t);
    assert.equal(r.status, 401, `${t}: ${r.text}`);
    assert.deepEqual(Object.keys(r.body), ['error']);
    assert.equal(r.body.error.code, 'unauthorized');
    messages.add(r.body.error.message);
    assert.equal(r.headers.get('access-control-allow-origin'), SHOP, 'the widget can read why');
  }
  assert.equal(messages.size, 1, 'one message for every reason');
});

test("a deleted customer's tokens stop working, also when the key is created again", async () => {
  const { api } = shop;
  assert.equal((await api('POST', '/v1/customers', { key: 'k-gone-75', email: 'gone@example.com' })).status, 201);
  const old = (await mint('k-gone-75')).body.token;
  assert.equal((await me(old)).status, 200);
  assert.equal((await api('DELETE', '/v1/customers/k-gone-75')).status, 200);
  assert.equal((await me(old)).status, 401, 'deleted');
  assert.equal((await api('POST', '/v1/customers', { key: 'k-gone-75', email: 'gone@example.com' })).status, 201);
  assert.equal((await me(old)).status, 401, 're-created under the same key');
  assert.equal((await me((await mint('k-gone-75')).body.token)).status, 200, 'a new token works');
});

test("a deleted program's tokens stop working", async () => {
  const gone = await createProgram(worker, { website_url: `${SHOP}/gone/` });
  assert.equal((await gone.api('POST', '/v1/customers', { key: 'k-x', email: 'x@example.com' })).status, 201);
  const { token } = (await mint('k-x', undefined, gone.api)).body;
  assert.equal((await me(token)).status, 200);
  assert.equal((await owner('DELETE', `/v1/programs/${gone.program.id}`)).status, 200);
  assert.equal((await me(token)).status, 401);
});

test('ttl_seconds is 60 to 86400; the customer must exist; the owner mints under /v1/programs/{id}/', async () => {
  const start = Math.floor(Date.now() / 1000);
  for (const [ttl, want] of [[60, 60], [86400, 86400]]) {
    const r = await mint('k-alice-70', { ttl_seconds: ttl });
    assert.equal(r.status, 201);
    const got = Date.parse(r.body.expires_at) / 1000 - start;
    assert.ok(got >= want - 5 && got <= want + 5, `${ttl}: ${got}`);
  }
  for (const ttl of [59, 86401, 0, -60, 3600.5, '3600', null]) {
    const r = await mint('k-alice-70', { ttl_seconds: ttl });
    if (ttl === null) { assert.equal(r.status, 201, 'null is the default'); continue; }
    assert.equal(r.status, 422, `${ttl}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.field, 'ttl_seconds');
  }
  assert.equal((await mint('k-alice-70', { ttl: 60 })).status, 422, 'unknown field');
  assert.equal((await mint('k-alice-70', '{"ttl_seconds":')).status, 400);
  assert.equal((await shop.api('POST', '/v1/customers/k-alice-70/portal-token', 'x', { 'content-type': 'text/plain' })).status, 415);
  assert.equal((await mint('k-nobody')).status, 404);
  assert.equal((await client(worker.url, 'erk_wrong')('POST', '/v1/customers/k-alice-70/portal-token')).status, 401);
  const twin = await owner('POST', `/v1/programs/${shop.program.id}/customers/k-alice-70/portal-token`, { ttl_seconds: 120 });
  assert.equal(twin.status, 201, JSON.stringify(twin.body));
  assert.equal((await me(twin.body.token)).body.name, 'Alice');
});

test("CORS answers the program's website and no other origin; the preflight allows Authorization", async () => {
  const { token } = (await mint('k-alice-70')).body;
  const evil = await me(token, EVIL);
  assert.equal(evil.status, 200, 'a server may read it; a browser on another site may not');
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  assert.equal((await me('garbage', EVIL)).headers.get('access-control-allow-origin'), null);
  const preflight = async (origin) => fetch(`${worker.url}/w/me`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
  const ok = await preflight(SHOP);
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), SHOP);
  assert.match(ok.headers.get('access-control-allow-headers'), /authorization/i);
  assert.match(ok.headers.get('access-control-allow-methods'), /GET/);
  assert.equal(ok.headers.get('access-control-allow-credentials'), null, 'the token is a header, not a cookie');
  assert.equal((await preflight(EVIL)).headers.get('access-control-allow-origin'), null);
});

test('/w/me is rate limited per visitor like the beacons, with a readable 429', async () => {
  const { token } = (await mint('k-alice-70')).body;
  const call = (ip) => fetch(`${worker.url}/w/me`, { headers: { origin: SHOP, authorization: `Bearer ${token}`, 'cf-connecting-ip': ip } });
  // The limiter counts in 10 s windows: a burst that straddles two may pass up to 120, so
  // call until refused and check that no fewer than 60 passed first.
  let passed = 0;
  let limited;
  for (let i = 0; i < 200 && !limited; i++) {
    const r = await call('10.7.7.7');
    if (r.status === 429) limited = r;
    else { assert.equal(r.status, 200); passed++; }
  }
  assert.ok(limited, 'refused within 200 calls');
  assert.ok(passed >= 60, `${passed} answered before the first 429`);
  assert.equal(limited.status, 429);
  assert.equal((await limited.json()).error.code, 'rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  assert.equal(limited.headers.get('access-control-allow-origin'), SHOP);
  assert.equal((await call('10.7.7.8')).status, 200, 'another visitor is unaffected');
});
