// The bad-input catalogue: every write endpoint gets malformed JSON, wrong
// content types, wrong types per field, missing and unknown fields, oversized
// and deeply nested bodies. Each must answer the documented 4xx JSON error,
// never a 500, and write nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, client, ADMIN_TOKEN } from './harness.mjs';

let worker, owner, api, program, hook;
const tables = ['programs', 'api_keys', 'customers', 'transactions', 'ledger', 'webhooks', 'events', 'integrations', 'signups', 'visits'];

before(async () => {
  worker = await startWorker();
  owner = client(worker.url, ADMIN_TOKEN);
  program = (await owner('POST', '/v1/programs', { name: 'Shop', website_url: 'https://shop.example/', currency: 'EUR' })).body;
  api = client(worker.url, (await owner('POST', `/v1/programs/${program.id}/api-keys`, { name: 'k' })).body.key);
  await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com' });
  hook = (await api('POST', '/v1/webhooks', { name: 'h', url: 'https://hooks.example/x', events: ['customer.created'] })).body;
});
after(() => worker?.stop());

async function counts() {
  const q = tables.map((t) => `(SELECT COUNT(*) FROM ${t}) AS ${t}`).join(', ');
  return (await worker.sql(`SELECT ${q}`))[0];
}

/** Every write endpoint with a valid body; `who` picks the credentials; optional fields last. */
const endpoints = () => [
  ['owner', 'POST', '/v1/programs', { name: 'P', website_url: 'https://p.example/' }],
  ['owner', 'PATCH', `/v1/programs/${program.id}`, { name: 'P2' }],
  ['owner', 'POST', `/v1/programs/${program.id}/api-keys`, { name: 'k2' }],
  ['owner', 'PUT', `/v1/programs/${program.id}/integrations/stripe`, { webhook_secret: 'whsec_x' }],
  ['owner', 'PUT', `/v1/programs/${program.id}/integrations/mailerlite`, { api_token: 't', group_id: 'g1' }],
  ['api', 'POST', '/v1/customers', { key: 'new1', email: 'new1@example.com', name: 'N' }, ['name']],
  ['api', 'PATCH', '/v1/customers/alice', { name: 'A' }, ['name']],
  ['api', 'POST', '/v1/customers/alice/credit', { amount: 5, note: 'n' }, ['note']],
  ['api', 'POST', '/v1/transactions', { key: 't1', customer: { key: 'alice' }, amount: 100, currency: 'EUR' }],
  ['api', 'POST', '/v1/webhooks', { name: 'w', url: 'https://hooks.example/y', events: ['customer.created'] }],
  ['api', 'PATCH', `/v1/webhooks/${hook.id}`, { name: 'w2' }],
];

/** Values of the wrong type (or out of range) for a field whose valid value is `v`. */
function wrongValues(v) {
  const all = [null, 12345, -1, 1e300, true, '', ' ', [], {}, 'x'.repeat(100_000), '\u0000', 'not valid at all 💥'];
  return all.filter((w) => typeof w !== typeof v || (typeof v === 'string' && (w === '' || w === ' ' || w.length > 3000 || w.includes('\u0000'))) || (typeof v === 'number' && w !== v && (w <= 0 || w > 1e15)));
}

/** The status and code each kind of bad input is due (docs/contract.md, Errors). */
const DUE = {
  400: 'malformed_request', 413: 'payload_too_large', 415: 'unsupported_media_type', 422: 'validation_failed',
};

/** `r` is the JSON error due: `status` (and its code) when given, else some 4xx with the error object. */
function expectError(r, label, status) {
  const seen = `${label}: got ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
  if (status) assert.equal(r.status, status, seen);
  else assert.ok(r.status >= 400 && r.status < 500, seen);
  assert.equal(typeof r.body?.error?.code, 'string', `${label}: error object`);
  if (DUE[r.status]) assert.equal(r.body.error.code, DUE[r.status], seen);
  assert.ok(r.body.error.message.length > 0, `${label}: error message`);
}

/** Bodies that are not the JSON object asked for: broken syntax is 400, well-formed JSON of the wrong type 422. */
const RAW = [['{', 400], ['[', 400], ['null', 422], ['"text"', 422], ['{"a":1}{"b":2}', 400], ['\u0000', 400], ['', 400]];

test('malformed, mistyped, missing, unknown and oversized input is refused with a JSON 4xx and writes nothing', async () => {
  const before = await counts();
  let sent = 0;
  for (const [who, method, path, valid, optional = []] of endpoints()) {
    const call = who === 'owner' ? owner : api;
    const label = `${method} ${path}`;
    for (const [raw, status] of RAW) {
      expectError(await call(method, path, raw), `${label} ${JSON.stringify(raw)}`, status);
      sent++;
    }
    expectError(await call(method, path, JSON.stringify(valid), { 'content-type': 'text/plain' }), `${label} text/plain`, 415);
    const extra = await call(method, path, JSON.stringify({ ...valid, unexpected_field: 1 }));
    expectError(extra, `${label} extra field`, 422);
    assert.equal(extra.body.error.field, 'unexpected_field', `${label}: the unknown field is named`);
    // Under the 64 KiB cap, so the parser's depth limit answers (a syntax error), not the size.
    expectError(await call(method, path, '['.repeat(60_000)), `${label} deep nesting`, 400);
    expectError(await call(method, path, JSON.stringify({ ...valid, pad: 'x'.repeat(10 << 20) })), `${label} 10 MB`, 413);
    sent += 4;
    for (const [field, v] of Object.entries(valid)) {
      if ((method === 'POST' || method === 'PUT') && !optional.includes(field)) {
        const { [field]: _, ...missing } = valid;
        const r = await call(method, path, missing);
        expectError(r, `${label} without ${field}`, 422);
        assert.equal(r.body.error.field, field, `${label} without ${field}: the field is named`);
        sent++;
      }
      for (const w of wrongValues(v).filter((w) => !(w === null && optional.includes(field)))) {
        if (field === 'name' && typeof w === 'string' && w.trim() && w.length < 200 && !w.includes('\u0000')) continue;
        if (path.endsWith('/credit') && w === -1) continue; // a negative credit is a debit (e.g. a payout)
        const body = { ...valid, [field]: w };
        // A value too large for the body cap (64 KiB) is refused for its size first.
        expectError(await call(method, path, body), `${label} ${field}=${JSON.stringify(w).slice(0, 30)}`, JSON.stringify(body).length > 64 * 1024 ? 413 : 422);
        sent++;
      }
    }
  }
  assert.deepEqual(await counts(), before, 'nothing was written');
  assert.ok(sent > 300, `sent ${sent} bad requests`);
});

test('hostile but valid text is stored verbatim and returned as data', async () => {
  const samples = ["Robert'); DROP TABLE customers;--", '<img src=x onerror=alert(1)>', 'مرحبا بالعالم', '\u202Eevil\u202C', '👩‍👩‍👧‍👦 family', '"quoted" \\ backslash'];
  for (const [i, name] of samples.entries()) {
    const r = await api('POST', '/v1/customers', { key: `hostile${i}`, email: `h${i}@example.com`, name });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await api('GET', `/v1/customers/hostile${i}`)).body.name, name);
  }
  assert.equal((await worker.sql(`SELECT COUNT(*) AS n FROM customers`))[0].n >= samples.length, true, 'the table is still there');
});

test('amounts and keys at the edges', async () => {
  for (const amount of [0, -100, 1e15 + 1, 2 ** 63, 1.5, '100']) {
    const r = await api('POST', '/v1/transactions', { key: `edge-${String(amount)}`, customer: { key: 'alice' }, amount, currency: 'EUR' });
    expectError(r, `amount ${amount}`);
  }
  for (const amount of ['-9223372036854775808', '9223372036854775807', '-1000000000000001']) {
    const r = await api('POST', '/v1/customers/alice/credit', `{"amount": ${amount}}`);
    expectError(r, `credit ${amount}`);
  }
  const max = await api('POST', '/v1/transactions', { key: 'max', customer: { key: 'alice' }, amount: 1e15, currency: 'EUR' });
  assert.equal(max.status, 201);
  for (const key of ['a b', 'a/b', '../etc', 'x'.repeat(129), '<k>']) {
    expectError(await api('POST', '/v1/customers', { key, email: 'k@example.com' }), `key ${key}`);
  }
  expectError(await api('GET', '/v1/customers?limit=abc'), 'limit=abc');
  expectError(await api('GET', '/v1/customers?cursor=-5'), 'cursor=-5');
  expectError(await api('GET', '/v1/transactions?to=2026-02-30T00:00:00Z'), 'to=Feb 30');
  const unknownRoute = await api('GET', '/v1/nothing-here');
  assert.equal(unknownRoute.status, 404);
  assert.equal(unknownRoute.body.error.code, 'no_route');
  // The benchmark's meter exists only in a Worker started with BENCH=on.
  assert.equal((await api('GET', '/__bench/ingest')).status, 404);
});

test('a first-party endpoint that is not an absolute http(s) URL, has a query or fragment, or sits on a public suffix is refused naming tracking.endpoint', async () => {
  const before = await counts();
  for (const endpoint of ['ref.shop.example', '/_edgeref', 'ftp://shop.example/', 'javascript:alert(1)', 'https://shop.example/_edgeref?x=1',
    'https://shop.example/#x', 'https://github.io/', 'https://co.uk/_edgeref', 'https://', '', 'x'.repeat(3000), 12]) {
    for (const [method, path, body] of [['PATCH', `/v1/programs/${program.id}`, {}], ['POST', '/v1/programs', { name: 'P', website_url: 'https://p.example/' }]]) {
      const r = await owner(method, path, { ...body, tracking: { endpoint } });
      expectError(r, `${method} endpoint ${JSON.stringify(endpoint).slice(0, 30)}`);
      assert.equal(r.status, 422, JSON.stringify(endpoint));
      assert.equal(r.body.error.field, 'tracking.endpoint', JSON.stringify(endpoint));
    }
  }
  assert.deepEqual(await counts(), before, 'nothing was written');
});

test('a redirect link with a malformed, over-long or unknown code goes to the website without a code, records nothing, never a 500', async () => {
  const before = await counts();
  for (const code of ['nope!', '%00', 'a%2Fb', 'x'.repeat(5000), 'unknown-code', '.x.', '%F0%9F%92%A5', "'%20OR%201=1"]) {
    for (const prefix of ['', '/_edgeref']) {
      const r = await fetch(`${worker.url}${prefix}/r/${code}`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 Chrome/156.0' } });
      assert.equal(r.status, 302, `${prefix}/r/${code.slice(0, 20)}: ${r.status}`);
      assert.equal(r.headers.get('location'), 'https://shop.example/', code.slice(0, 20));
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.equal(r.headers.get('set-cookie'), null);
    }
  }
  assert.deepEqual(await counts(), before, 'nothing was written');
});
