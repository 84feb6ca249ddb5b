// Stripe and MailerLite against the real Worker. Stripe's side is events
// shaped like Stripe's and signed with Stripe's scheme; MailerLite's is a local
// server that checks the real request format (auth header, JSON shape).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, createProgram, client, runCron, eventually, recountStats, ADMIN_TOKEN } from './harness.mjs';
import * as stripe from './fixtures/stripe.mjs';
import { startMailerLite } from './fixtures/mailerlite.mjs';

let worker, owner;
before(async () => { worker = await startWorker(); owner = client(worker.url, ADMIN_TOKEN); });
after(() => worker?.stop());

const newProgram = (fields) => createProgram(worker, fields);

async function postStripe(url, secret, evt, { signature } = {}) {
  const body = JSON.stringify(evt);
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature ?? stripe.sign(secret, body) }, body });
  return { status: r.status, body: await r.json() };
}

test('Stripe: paid checkouts and invoices become transactions once; refunds reverse rewards', async () => {
  const { program, api } = await newProgram();
  const secret = 'whsec_test_' + Math.random().toString(36).slice(2);
  const on = await owner('PUT', `/v1/programs/${program.id}/integrations/stripe`, { webhook_secret: secret });
  assert.equal(on.status, 200);
  assert.equal(on.body.endpoint_url, `${worker.url}/integrations/stripe/${program.public_id}`);
  const listed = await owner('GET', `/v1/programs/${program.id}/integrations`);
  assert.equal(listed.body.stripe.enabled, true);
  assert.equal(JSON.stringify(listed.body).includes(secret), false, 'the secret is never shown');
  const [stored] = await worker.sql(`SELECT secret FROM integrations WHERE program_id = '${program.id}'`);
  assert.equal(stored.secret.includes(secret), false, 'sealed at rest');
  const url = on.body.endpoint_url;

  const alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com' })).body;
  await api('POST', '/v1/customers', { key: 'bob', email: 'bob@example.com', referring_customer: { key: 'alice' } });

  // A known customer, matched by email.
  const paid = stripe.checkoutCompleted({ email: 'bob@example.com', amount: 4900 });
  const r1 = await postStripe(url, secret, paid);
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  assert.equal(r1.body.reward, 490);
  assert.equal((await postStripe(url, secret, paid)).body.duplicate, true, 'a redelivered event does not double-reward');
  // The first invoice of the same payment (same payment intent) is the same sale.
  const sameSale = stripe.invoicePaid({ email: 'bob@example.com', amount: 4900, paymentIntent: paid.data.object.payment_intent });
  await postStripe(url, secret, sameSale);
  assert.equal((await api('GET', '/v1/customers/alice')).body.balance, 490);

  // A new buyer carrying a referral code becomes a referred customer.
  const fresh = stripe.checkoutCompleted({ email: 'carol@example.com', amount: 1000, clientReferenceId: alice.referral_code, customer: 'cus_carol' });
  const r2 = await postStripe(url, secret, fresh);
  assert.equal(r2.body.reward, 100);
  const carol = await api('GET', '/v1/customers/cus_carol');
  assert.equal(carol.body.referred_by, 'alice');
  assert.equal(carol.body.email, 'carol@example.com');

  // Metadata names the customer explicitly.
  const byMeta = stripe.invoicePaid({ email: 'someone-else@example.com', amount: 2000, metadata: { edgeref_customer: 'bob' } });
  assert.equal((await postStripe(url, secret, byMeta)).body.reward, 200);
  assert.equal((await api('GET', '/v1/customers/alice')).body.balance, 790);

  // Partial refunds reverse proportionally; the total never exceeds the reward.
  const pi = paid.data.object.payment_intent;
  await postStripe(url, secret, stripe.chargeRefunded({ paymentIntent: pi, amount: 4900, amountRefunded: 2450 }));
  assert.equal((await api('GET', '/v1/customers/alice')).body.balance, 790 - 245);
  const again = await postStripe(url, secret, stripe.chargeRefunded({ paymentIntent: pi, amount: 4900, amountRefunded: 2450 }));
  assert.equal(again.body.ignored, 'refund already applied');
  await postStripe(url, secret, stripe.chargeRefunded({ paymentIntent: pi, amount: 4900, amountRefunded: 4900 }));
  assert.equal((await api('GET', '/v1/customers/alice')).body.balance, 300);
  const [ledger] = await worker.sql(`SELECT SUM(amount) AS sum FROM ledger WHERE program_id = '${program.id}' AND customer_key = 'alice'`);
  assert.equal(ledger.sum, 300, 'balance == sum of the ledger');
  const stats = await owner('GET', `/v1/programs/${program.id}/stats`);
  assert.deepEqual(stats.body.totals, await recountStats(worker, program.id), 'program stats follow refunds');
  assert.equal(stats.body.totals.revenue, 1000 + 2000, 'the fully refunded sale is out');

  // Strangers without a code, other event types, and bad signatures.
  assert.equal((await postStripe(url, secret, stripe.checkoutCompleted({ email: 'nobody@example.com', amount: 100 }))).body.ignored !== undefined, true);
  assert.equal((await postStripe(url, secret, stripe.otherEvent())).status, 200);
  const forged = await postStripe(url, 'whsec_wrong', stripe.checkoutCompleted({ email: 'bob@example.com', amount: 999999 }));
  assert.equal(forged.status, 400);
  assert.equal(forged.body.error.code, 'invalid_signature');
  const stale = stripe.checkoutCompleted({ email: 'bob@example.com', amount: 5 });
  const old = await postStripe(url, secret, stale, { signature: stripe.sign(secret, JSON.stringify(stale), Math.floor(Date.now() / 1000) - 3600) });
  assert.equal(old.status, 400, 'outside the tolerance window');
  const [count] = await worker.sql(`SELECT COUNT(*) AS n FROM transactions WHERE program_id = '${program.id}'`);
  assert.equal(count.n, 3);
  assert.equal((await owner('DELETE', `/v1/programs/${program.id}/integrations/stripe`)).status, 200);
  assert.equal((await postStripe(url, secret, stripe.otherEvent())).status, 404);
});

test('MailerLite: customers are upserted with their referral link, retried on 429, removed from the group on delete', async () => {
  const { program, api } = await newProgram();
  const ml = await startMailerLite('ml-token');
  const on = await owner('PUT', `/v1/programs/${program.id}/integrations/mailerlite`, { api_token: 'ml-token', group_id: '42', api_base: ml.url });
  assert.equal(on.status, 200, JSON.stringify(on.body));
  assert.equal(on.body.api_token, undefined);

  const alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com', name: 'Alice' })).body;
  await eventually(() => ml.subscribers.get('alice@example.com'));
  const sent = ml.requests.find((r) => r.method === 'POST');
  assert.equal(sent.auth, 'Bearer ml-token');
  assert.match(sent.type, /application\/json/);
  assert.deepEqual(sent.body.groups, ['42']);
  assert.equal(sent.body.fields.referral_link, alice.referral_link);
  assert.equal(sent.body.fields.name, 'Alice');

  ml.failTimes(1);
  await api('POST', '/v1/customers', { key: 'bob', email: 'bob@example.com' });
  await eventually(() => ml.requests.some((r) => r.body?.email === 'bob@example.com'));
  assert.equal(ml.subscribers.has('bob@example.com'), false, 'the first try got a 429');
  await worker.sql(`UPDATE deliveries SET next_attempt_at = 0 WHERE status = 'pending' AND integration = 'mailerlite'`);
  await runCron(worker);
  await eventually(() => ml.subscribers.get('bob@example.com'));

  await api('DELETE', '/v1/customers/alice');
  await eventually(() => ml.subscribers.get('alice@example.com').groups.length === 0);
  const status = await owner('GET', `/v1/programs/${program.id}/integrations`);
  assert.equal(status.body.mailerlite.enabled, true);
  assert.equal(status.body.mailerlite.group_id, '42');
  assert.equal(status.body.mailerlite.failed_syncs, 0);
  await ml.stop();
});
