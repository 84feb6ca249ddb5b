// The TypeScript client (clients/ts, built by `make`) against the real Worker
// over HTTP: the same flow as the edge consumer's, bad input as typed errors,
// cursor iteration; and its retries against a scripted fetch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startWorker, createProgram } from './harness.mjs';
import {
  createEdgerefClient, retryingFetch, EdgerefError, ValidationError, IdempotencyConflictError, NetworkError, idempotencyKey,
} from '../clients/ts/dist/index.js';

let worker, edgeref, api;
const MANUAL = { rewards: { referrer: { type: 'percent', percent: 10 }, friend: null, approval: 'manual' } };

before(async () => {
  worker = await startWorker();
  // Manual approval: the reward waits for the client to approve it.
  const created = await createProgram(worker, MANUAL);
  api = created.api;
  edgeref = createEdgerefClient({ baseUrl: worker.url, apiKey: created.key.key });
});
after(() => worker?.stop());

/** What a customer has earned, however Edgeref splits it between settled and pending. */
const earned = (c) => c.balance + (c.pending_balance ?? 0);

test('referring customer, referred customer, sale, reward', async () => {
  assert.equal((await edgeref.me()).program.website_url, 'https://shop.example/');
  const ann = await edgeref.createCustomer({ key: 'ann', email: 'ann@example.com', name: 'Ann' });
  assert.equal(ann.referred_by, null);
  const bob = await edgeref.createCustomer({ key: 'bob', email: 'bob@example.com', referring_customer: { key: 'ann' } });
  assert.equal(bob.referred_by, 'ann');
  const sale = { key: 'order-1001', customer: { key: 'bob' }, amount: 4900, currency: 'EUR' };
  const t = await edgeref.createTransaction(sale);
  assert.deepEqual([t.referring_customer, t.reward], [{ key: 'ann' }, 490]);
  // A retry is the first result; a different sale under the same key is its own error class.
  assert.deepEqual(await edgeref.createTransaction(sale), t);
  await assert.rejects(edgeref.createTransaction({ ...sale, amount: 9900 }), (e) => e instanceof IdempotencyConflictError && e.status === 409 && e.field === 'key');
  // Edgeref's own state.
  assert.equal(earned((await api('GET', '/v1/customers/ann')).body), 490);
  assert.deepEqual(await worker.sql("SELECT customer_key, referrer_key, reward FROM transactions WHERE key = 'order-1001'"), [{ customer_key: 'bob', referrer_key: 'ann', reward: 490 }]);
  assert.equal(earned(await edgeref.getCustomer('ann')), 490);
  assert.deepEqual((await edgeref.customerStats('ann')).paying_referrals, 1);
  // Approve the referrer's reward and pay it out.
  const rewards = [];
  for await (const r of edgeref.rewards({ status: 'pending', customer: 'ann' })) rewards.push(r);
  const reward = rewards.find((r) => r.transaction_key === 'order-1001');
  assert.deepEqual([reward.amount, reward.kind], [490, 'referrer']);
  assert.equal((await edgeref.approveReward(reward.id)).status, 'approved');
  await assert.rejects(edgeref.rejectReward(reward.id, 'too late'), (e) => e instanceof EdgerefError && e.status === 409);
  assert.ok((await edgeref.listPayables()).data.some((p) => p.customer.key === 'ann'));
  const payout = await edgeref.createPayout({ customer: { key: 'ann' }, reference: 'bank-1' });
  assert.ok(payout.reward_ids.includes(reward.id));
  assert.equal((await edgeref.listPayouts()).data.length, 1);
  assert.equal((await edgeref.getCustomer('ann')).paid_total, payout.amount);
});

test('a 422 is a ValidationError naming the field; a 404 an EdgerefError', async () => {
  await assert.rejects(edgeref.createCustomer({ key: 'cy', email: 'not-an-email' }), (e) => {
    assert.ok(e instanceof ValidationError && e instanceof EdgerefError);
    assert.deepEqual([e.status, e.code, e.field], [422, 'validation_failed', 'email']);
    return true;
  });
  await assert.rejects(edgeref.createTransaction({ key: 'x', customer: { key: 'nobody' }, amount: 100, currency: 'EUR' }), (e) => e instanceof ValidationError && e.field === 'customer');
  await assert.rejects(edgeref.getCustomer('nobody'), (e) => e instanceof EdgerefError && !(e instanceof ValidationError) && e.status === 404 && e.code === 'not_found');
  assert.equal((await api('GET', '/v1/customers/cy')).status, 404, 'nothing was written');
});

test('lists walk every page by cursor; idempotency keys are fresh', async () => {
  for (const key of ['dee', 'eve', 'fay']) await edgeref.createCustomer({ key, email: `${key}@example.com`, referring_customer: { key: 'ann' } });
  const first = await edgeref.listReferrals('ann', { limit: 2 });
  assert.equal(first.data.length, 2);
  assert.ok(first.next_cursor);
  const keys = [];
  for await (const c of edgeref.referrals('ann', { limit: 1 })) keys.push(c.key);
  assert.deepEqual(keys.sort(), ['bob', 'dee', 'eve', 'fay']);
  const all = [];
  for await (const c of edgeref.customers({ limit: 2 })) all.push(c.key);
  assert.equal(all.length, 5);
  assert.notEqual(idempotencyKey(), idempotencyKey());
});

test('a service binding\'s fetch works: the host is only a placeholder', async () => {
  // What env.EDGEREF.fetch does: deliver the request to the Worker whatever its URL's host.
  const binding = (request) => globalThis.fetch(new Request(request.url.replace('https://edgeref', worker.url), request));
  const viaBinding = createEdgerefClient({ apiKey: (await createProgram(worker)).key.key, fetch: binding });
  const c = await viaBinding.createCustomer({ key: 'zed', email: 'zed@example.com' });
  assert.equal(c.key, 'zed');
});

test('an unreachable Edgeref is a NetworkError, not an API error', async () => {
  const down = createEdgerefClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', retries: 0 });
  await assert.rejects(down.me(), (e) => e instanceof NetworkError && !(e instanceof EdgerefError));
});

// The Rust client's HTTP transport (reqwest) against the same Worker: clients/rust/tests/http.rs,
// compiled by `make clients`, on a program of its own.
test('the Rust client over HTTP: the same flow', async () => {
  const { key } = await createProgram(worker, MANUAL);
  const root = fileURLToPath(new URL('..', import.meta.url));
  const { stdout, stderr } = await promisify(execFile)('cargo', ['test', '-p', 'edgeref-client', '--features', 'http', '--test', 'http', '--quiet'], {
    cwd: root, env: { ...process.env, EDGEREF_URL: worker.url, EDGEREF_API_KEY: key.key }, maxBuffer: 16 << 20,
  }).catch((e) => assert.fail(`cargo test failed:\n${e.stdout}\n${e.stderr}`));
  assert.match(stdout, /test result: ok\. 1 passed/, stderr);
  assert.doesNotMatch(stderr, /skipped/);
});

/** A fetch that answers from a script and records when it was called. */
function scripted(answers) {
  const calls = [];
  const fetch = async (request) => {
    calls.push({ body: await request.text() });
    const [status, headers = {}] = answers.shift();
    return new Response(JSON.stringify(status < 300 ? { ok: true } : { error: { code: 'x', message: 'm' } }), { status, headers });
  };
  return { fetch, calls };
}

test('429 and 503 are retried after Retry-After, with the body resent', async () => {
  const { fetch, calls } = scripted([[429, { 'retry-after': '2' }], [503, { 'retry-after': '0' }], [200]]);
  const waits = [];
  const send = retryingFetch(fetch, { retries: 2, sleep: async (ms) => waits.push(ms) });
  const r = await send(new Request('https://edgeref/v1/transactions', { method: 'POST', body: '{"key":"k"}' }));
  assert.equal(r.status, 200);
  assert.deepEqual(waits, [2000, 0]);
  assert.deepEqual(calls.map((c) => c.body), ['{"key":"k"}', '{"key":"k"}', '{"key":"k"}']);
});

test('retries stop at the limit, on other statuses, and on a Retry-After too long to wait', async () => {
  const sleep = async () => {};
  let s = scripted([[503], [503], [503]]);
  assert.equal((await retryingFetch(s.fetch, { retries: 2, sleep })(new Request('https://edgeref/v1/me'))).status, 503);
  assert.equal(s.calls.length, 3);
  s = scripted([[500], [200]]);
  assert.equal((await retryingFetch(s.fetch, { sleep })(new Request('https://edgeref/v1/me'))).status, 500);
  s = scripted([[429, { 'retry-after': '3600' }], [200]]);
  assert.equal((await retryingFetch(s.fetch, { sleep })(new Request('https://edgeref/v1/me'))).status, 429);
  assert.equal(s.calls.length, 1);
});
