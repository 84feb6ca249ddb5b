// examples/edge-consumer (a Rust Worker using edgeref-client) calls Edgeref
// through a service binding: two `wrangler dev` processes that find each other
// in a dev registry private to this test. The flow goes through the consumer;
// the assertions read Edgeref's own state (its API and its D1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, createProgram, client } from './harness.mjs';

let registry, edgeref, consumer, api, shop;

before(async () => {
  // Only this test's Workers register here, never another `wrangler dev` of Edgeref on this machine.
  registry = await mkdtemp(join(tmpdir(), 'edgeref-registry-'));
  const env = { WRANGLER_REGISTRY_PATH: registry };
  edgeref = await startWorker({ env });
  const created = await createProgram(edgeref, { rewards: { referrer: { type: 'percent', percent: 10 }, friend: { type: 'fixed', amount: 300, on: 'signup' } } });
  api = created.api;
  consumer = await startWorker({ env, config: 'examples/edge-consumer/wrangler.toml', migrate: false, vars: { EDGEREF_API_KEY: created.key.key } });
  shop = client(consumer.url);
});

after(async () => {
  await consumer?.stop();
  await edgeref?.stop();
  if (registry) await rm(registry, { recursive: true, force: true });
});

/** What a customer has earned, however Edgeref splits it between settled and pending. */
const earned = (c) => c.balance + (c.pending_balance ?? 0);

test('a referring customer, a referred one, a sale and its reward, through the service binding', async () => {
  const ann = await shop('POST', '/signup', { key: 'ann', email: 'ann@example.com', name: 'Ann' });
  assert.equal(ann.status, 201, JSON.stringify(ann.body));
  assert.equal(ann.body.referred_by, null);
  const bob = await shop('POST', '/signup', { key: 'bob', email: 'bob@example.com', referred_by: 'ann' });
  assert.equal(bob.status, 201, JSON.stringify(bob.body));
  assert.deepEqual(bob.body.friend_reward, { type: 'fixed', amount: 300, on: 'signup' });

  const sale = await shop('POST', '/orders', { id: 'order-1001', customer: 'bob', amount: 4900, currency: 'EUR' });
  assert.equal(sale.status, 200, JSON.stringify(sale.body));
  assert.deepEqual([sale.body.referring_customer, sale.body.reward], [{ key: 'ann' }, 490]);

  // The reward, read through the consumer and from Edgeref itself.
  const viaConsumer = await shop('GET', '/customers/ann');
  assert.equal(viaConsumer.status, 200);
  assert.equal(earned(viaConsumer.body), 490);
  assert.equal(viaConsumer.body.referrals_count, 1);
  const inEdgeref = await api('GET', '/v1/customers/ann');
  assert.equal(earned(inEdgeref.body), 490);
  assert.equal((await api('GET', '/v1/customers/bob')).body.referred_by, 'ann');
  const rows = await edgeref.sql("SELECT key, customer_key, referrer_key, amount, reward FROM transactions WHERE key = 'order-1001'");
  assert.deepEqual(rows, [{ key: 'order-1001', customer_key: 'bob', referrer_key: 'ann', amount: 4900, reward: 490 }]);

  // A retried checkout is the same transaction; the same order id for a different sale is the idempotency variant.
  const retry = await shop('POST', '/orders', { id: 'order-1001', customer: 'bob', amount: 4900, currency: 'EUR' });
  assert.equal(retry.status, 200);
  assert.deepEqual(retry.body, sale.body);
  const reused = await shop('POST', '/orders', { id: 'order-1001', customer: 'bob', amount: 9900, currency: 'EUR' });
  assert.equal(reused.status, 409);
  assert.equal(reused.body.error.kind, 'idempotency_conflict');
  assert.equal(reused.body.error.field, 'key');
  assert.equal((await edgeref.sql("SELECT COUNT(*) AS n FROM transactions WHERE key = 'order-1001'"))[0].n, 1);
  assert.equal(earned((await api('GET', '/v1/customers/ann')).body), 490);
});

test('bad input surfaces as the client error variant naming the field', async () => {
  const bad = await shop('POST', '/signup', { key: 'cy', email: 'not-an-email' });
  assert.equal(bad.status, 422);
  assert.deepEqual([bad.body.error.kind, bad.body.error.code, bad.body.error.field], ['validation', 'validation_failed', 'email']);
  assert.equal((await api('GET', '/v1/customers/cy')).status, 404, 'nothing was written');
  const again = await shop('POST', '/signup', { key: 'ann', email: 'ann2@example.com' });
  assert.deepEqual([again.status, again.body.error.kind, again.body.error.field], [409, 'conflict', 'key']);
  const unknown = await shop('GET', '/customers/nobody');
  assert.deepEqual([unknown.status, unknown.body.error.kind], [404, 'not_found']);
});

test('lists are walked by cursor', async () => {
  for (const key of ['dee', 'eve']) {
    assert.equal((await shop('POST', '/signup', { key, email: `${key}@example.com`, referred_by: 'ann' })).status, 201);
  }
  const referrals = await shop('GET', '/customers/ann/referrals');
  assert.equal(referrals.status, 200, JSON.stringify(referrals.body));
  assert.deepEqual(referrals.body.keys.sort(), ['bob', 'dee', 'eve']);
  assert.equal(referrals.body.pages, 3, 'one customer a page');
});

// Last: it stops Edgeref.
test('with Edgeref gone, the failure is not an API error', async () => {
  await edgeref.stop();
  edgeref = null;
  const r = await shop('GET', '/customers/ann');
  assert.equal(r.status, 502, JSON.stringify(r.body));
  assert.ok(['network', 'other'].includes(r.body.error.kind), r.body.error.kind);
  assert.equal(r.body.error.code, null, 'no API error code without the API');
});
