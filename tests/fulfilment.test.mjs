// Rewards that pay themselves, end to end: a referrer's approved reward is credited to their
// Stripe customer balance through the outbox, against a local server speaking Stripe's
// form-encoded wire format. Exactly one successful balance transaction per reward whichever way
// it was approved (by hand, twice, racing; by the scheduled run, twice; as it was created), a
// 500 retried under the same Idempotency-Key, a refusal flagged for review; customers linked to
// Stripe through the API and by a paid checkout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startWorker, createProgram, client, eventually, runCron, startReceiver, launchBrowser, signedInDashboard, ADMIN_TOKEN } from './harness.mjs';
import { startStripeApi } from './fixtures/stripe_api.mjs';
import * as stripe from './fixtures/stripe.mjs';

let worker, stripeApi, owner;
const WEBHOOK_SECRET = 'whsec_fulfilment_test';

before(async () => {
  stripeApi = await startStripeApi();
  worker = await startWorker();
  owner = client(worker.url, ADMIN_TOKEN);
});
after(async () => {
  await worker?.stop();
  await stripeApi?.stop();
});

/** A EUR program paying referrers 12.50 a referred signup by Stripe credit, Stripe connected. */
async function creditingProgram(rewards = {}) {
  const shop = await createProgram(worker, {
    rewards: { referrer: { type: 'fixed', amount: 1250, on: 'signup' }, friend: null, approval: 'manual', fulfilment: { referrer: 'stripe_credit' }, ...rewards },
  });
  const on = await owner('PUT', `/v1/programs/${shop.program.id}/integrations/stripe`, { webhook_secret: WEBHOOK_SECRET, secret_key: stripeApi.key, api_base: stripeApi.url });
  assert.equal(on.status, 200, JSON.stringify(on.body));
  return shop;
}

let seq = 0;
/** A referrer linked to a new Stripe customer, and the reward their friend's signup earned them. */
async function referrerWithReward(api, { stripeId = stripeApi.addCustomer(`cus_ref${Date.now()}x${seq}`) } = {}) {
  const n = seq++;
  const ref = await api('POST', '/v1/customers', { key: `ref${n}`, email: `ref${n}@example.com`, stripe_customer_id: stripeId });
  assert.equal(ref.status, 201, JSON.stringify(ref.body));
  const friend = await api('POST', '/v1/customers', { key: `friend${n}`, email: `friend${n}@example.net`, referring_customer: { key: `ref${n}` } });
  assert.equal(friend.status, 201, JSON.stringify(friend.body));
  const [reward] = (await api('GET', `/v1/rewards?customer=ref${n}`)).body.data;
  return { key: `ref${n}`, stripeId, reward };
}

const reward = async (api, id) => (await api('GET', '/v1/rewards?limit=200')).body.data.find((r) => r.id === id);
const succeeded = (id) => stripeApi.of(id).filter((c) => c.status === 200 && !c.replayed);

/** Waits until the reward is paid, then checks the one credit Stripe took and the payout that recorded it. */
async function paidOnce(api, { key, stripeId, reward: r }, amount = 1250, idempotencyKey = `edgeref-credit-${r.id}`) {
  const paid = await eventually(async () => { const now = await reward(api, r.id); return now.status === 'paid' && now; });
  const credits = succeeded(stripeId);
  assert.equal(credits.length, 1, `one balance transaction: ${JSON.stringify(stripeApi.of(stripeId))}`);
  const [c] = credits;
  assert.equal(c.path, `/v1/customers/${stripeId}/balance_transactions`);
  assert.equal(c.authorization, `Bearer ${stripeApi.key}`);
  assert.match(c.contentType, /^application\/x-www-form-urlencoded/);
  assert.deepEqual([c.form.amount, c.form.currency, c.form['metadata[edgeref_reward]']], [String(-amount), 'eur', r.id]);
  assert.match(c.form.description, /referral reward/);
  assert.equal(c.idempotencyKey, idempotencyKey);
  assert.equal(stripeApi.balance(stripeId), -amount, 'credited once');
  const payouts = (await api('GET', `/v1/payouts?customer=${key}`)).body.data;
  assert.equal(payouts.length, 1, JSON.stringify(payouts));
  const [p] = payouts;
  assert.deepEqual([p.method, p.amount, p.currency, p.reward_ids, p.reference], ['stripe_credit', amount, 'EUR', [r.id], c.body.id]);
  assert.equal(paid.payout_id, p.id);
  const customer = (await api('GET', `/v1/customers/${key}`)).body;
  assert.deepEqual([customer.balance, customer.paid_total], [0, amount], 'the ledger debit of a payout');
  const events = (await api('GET', '/v1/events?type=payout.created&limit=100')).body.data;
  const event = events.find((e) => e.data.id === p.id);
  assert.ok(event, 'payout.created fired');
  assert.deepEqual([event.data.method, event.data.customer.key], ['stripe_credit', key]);
  return p;
}

test('stripe_customer_id: set, shown, changed and cleared through the API; checked', async () => {
  const { api } = await creditingProgram();
  const ann = await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com', stripe_customer_id: 'cus_Ann123' });
  assert.equal(ann.status, 201, JSON.stringify(ann.body));
  assert.equal(ann.body.stripe_customer_id, 'cus_Ann123');
  assert.equal((await api('GET', '/v1/customers/ann')).body.stripe_customer_id, 'cus_Ann123');
  assert.equal((await api('PATCH', '/v1/customers/ann', { stripe_customer_id: 'cus_Other9' })).body.stripe_customer_id, 'cus_Other9');
  assert.equal((await api('PATCH', '/v1/customers/ann', { stripe_customer_id: null })).body.stripe_customer_id, null);
  const bad = await api('PATCH', '/v1/customers/ann', { stripe_customer_id: 'cus_../../v1/charges' });
  assert.deepEqual([bad.status, bad.body.error.field], [422, 'stripe_customer_id']);
  assert.equal((await api('POST', '/v1/customers', { key: 'x', email: 'x@example.com', stripe_customer_id: 'acct_1' })).status, 422);
  assert.equal((await api('GET', '/v1/customers/bob')).status, 404);
});

test('the Stripe integration takes a restricted key (sealed, never shown) and an API base', async () => {
  const { program } = await creditingProgram();
  const listed = (await owner('GET', `/v1/programs/${program.id}/integrations`)).body.stripe;
  assert.deepEqual([listed.enabled, listed.secret_key_set, listed.api_base], [true, true, stripeApi.url]);
  const rows = await worker.sql(`SELECT name, secret FROM integrations WHERE program_id = '${program.id}'`);
  assert.deepEqual(rows.map((r) => r.name).sort(), ['stripe', 'stripe_api']);
  assert.ok(rows.every((r) => !r.secret.includes(stripeApi.key)), 'sealed at rest');
  assert.equal(JSON.stringify(listed).includes(stripeApi.key), false, 'never shown again');
  // A PUT without secret_key keeps the stored key.
  assert.equal((await owner('PUT', `/v1/programs/${program.id}/integrations/stripe`, { webhook_secret: WEBHOOK_SECRET, api_base: stripeApi.url })).body.secret_key_set, true);
  const bad = await owner('PUT', `/v1/programs/${program.id}/integrations/stripe`, { webhook_secret: WEBHOOK_SECRET, secret_key: 'pk_test_public' });
  assert.deepEqual([bad.status, bad.body.error.field], [422, 'secret_key']);
  const audit = (await owner('GET', `/v1/programs/${program.id}/audit-log?limit=50`)).body.data;
  assert.equal(JSON.stringify(audit).includes(stripeApi.key), false, 'redacted in the audit log');
  assert.equal((await owner('DELETE', `/v1/programs/${program.id}/integrations/stripe`)).status, 200);
  assert.equal((await worker.sql(`SELECT COUNT(*) AS n FROM integrations WHERE program_id = '${program.id}'`))[0].n, 0, 'the key goes with the integration');
});

test('approved by hand, twice and racing: one balance transaction, the reward paid by a stripe_credit payout', async () => {
  const { api, program, key } = await creditingProgram();
  const ref = await referrerWithReward(api);
  assert.equal(ref.reward.status, 'pending');
  const raced = await Promise.all([api('POST', `/v1/rewards/${ref.reward.id}/approve`), api('POST', `/v1/rewards/${ref.reward.id}/approve`)]);
  assert.deepEqual(raced.map((r) => r.status).sort(), [200, 409], JSON.stringify(raced.map((r) => r.body)));
  assert.equal((await api('POST', `/v1/rewards/${ref.reward.id}/approve`)).status, 409);
  await paidOnce(api, ref);
  // The scheduled run finds nothing more to send.
  await runCron(worker);
  assert.equal(succeeded(ref.stripeId).length, 1);
  assert.equal(stripeApi.of(ref.stripeId).length, 1);
  const log = (await owner('GET', `/v1/programs/${program.id}/integrations/stripe/credits`)).body.data;
  assert.deepEqual(log.map((d) => [d.reward_id, d.status, d.attempts, d.last_code, d.customer.key, d.amount]), [[ref.reward.id, 'succeeded', 1, 200, ref.key, 1250]]);
  const csv = await (await fetch(`${worker.url}/v1/payouts.csv`, { headers: { authorization: `Bearer ${key.key}` } })).text();
  const [header, line] = csv.trim().split('\r\n');
  assert.equal(header.split(',').at(-1), 'method');
  assert.equal(line.split(',').at(-1), 'stripe_credit');
});

test('a 500 from Stripe is retried with the same Idempotency-Key, and credits once', async () => {
  const { api, program } = await creditingProgram();
  const ref = await referrerWithReward(api);
  stripeApi.fail(500);
  assert.equal((await api('POST', `/v1/rewards/${ref.reward.id}/approve`)).status, 200);
  const log = await eventually(async () => {
    const l = (await owner('GET', `/v1/programs/${program.id}/integrations/stripe/credits`)).body.data;
    return l.length === 1 && l[0].attempts === 1 && l;
  });
  assert.deepEqual([log[0].status, log[0].last_code, log[0].reward_id], ['pending', 500, ref.reward.id]);
  assert.equal((await reward(api, ref.reward.id)).status, 'approved', 'not paid yet');
  await new Promise((r) => setTimeout(r, 6_000)); // the second attempt is due 5 s (±10 %) after the first
  await runCron(worker);
  await paidOnce(api, ref);
  const keys = stripeApi.calls.filter((c) => c.idempotencyKey === `edgeref-credit-${ref.reward.id}`);
  assert.deepEqual(keys.map((c) => c.status), [500, 200], 'the same key both times');
  const after = (await owner('GET', `/v1/programs/${program.id}/integrations/stripe/credits`)).body.data[0];
  assert.deepEqual([after.status, after.attempts, after.last_code], ['succeeded', 2, 200]);
});

test('the scheduled run approves held rewards and credits each once, however often it runs', async () => {
  const { api, program } = await creditingProgram({ approval: 'auto', hold_days: 30 });
  const refs = [await referrerWithReward(api), await referrerWithReward(api), await referrerWithReward(api)];
  assert.ok(refs.every((r) => r.reward.status === 'pending'));
  await worker.sql(`UPDATE rewards SET available_at = 0 WHERE program_id = '${program.id}'`);
  await Promise.all([runCron(worker), runCron(worker)]);
  await runCron(worker);
  for (const ref of refs) await paidOnce(api, ref);
});

test('a reward approved as it is created is credited; payout.created reaches the webhooks', async () => {
  const { api } = await creditingProgram({ approval: 'auto' });
  const receiver = await startReceiver();
  const hook = await api('POST', '/v1/webhooks', { name: 'payouts', url: `${receiver.url}/hook`, events: ['payout.created'] });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  const ref = await referrerWithReward(api);
  assert.ok(['approved', 'paid'].includes(ref.reward.status), ref.reward.status);
  const payout = await paidOnce(api, ref);
  await runCron(worker); // the payout's deliveries go out with the scheduled run
  assert.equal(stripeApi.of(ref.stripeId).length, 1);
  const [delivered] = await receiver.waitUntil((rs) => rs.length >= 1);
  const body = JSON.parse(delivered.body);
  assert.deepEqual([body.type, body.data.id, body.data.method, body.data.amount, body.data.reward_ids], ['payout.created', payout.id, 'stripe_credit', 1250, [ref.reward.id]]);
  await receiver.stop();
});

test("Stripe's resource_missing leaves the reward approved, flagged fulfilment_failed with Stripe's message, in the review queue", async () => {
  const { api, program } = await creditingProgram();
  const ref = await referrerWithReward(api, { stripeId: 'cus_missing42' });
  assert.equal((await api('POST', `/v1/rewards/${ref.reward.id}/approve`)).status, 200);
  const flagged = await eventually(async () => { const r = await reward(api, ref.reward.id); return r.flags.includes('fulfilment_failed') && r; });
  assert.equal(flagged.status, 'approved');
  assert.deepEqual(flagged.flags, ['fulfilment_failed']);
  assert.equal(flagged.reason, "Stripe credit failed: No such customer: 'cus_missing42'");
  assert.equal(flagged.payout_id, null);
  const queue = (await api('GET', '/v1/rewards?flagged=true')).body.data;
  assert.deepEqual(queue.map((r) => r.id), [ref.reward.id]);
  assert.equal(stripeApi.of('cus_missing42').length, 1, 'a final 4xx is not retried');
  const [entry] = (await owner('GET', `/v1/programs/${program.id}/integrations/stripe/credits`)).body.data;
  assert.deepEqual([entry.status, entry.last_code, entry.reward_id], ['failed', 404, ref.reward.id]);
  assert.match(entry.note, /resource_missing/);
  await runCron(worker);
  assert.equal(stripeApi.of('cus_missing42').length, 1);
  const customer = (await api('GET', `/v1/customers/${ref.key}`)).body;
  assert.deepEqual([customer.balance, customer.paid_total], [1250, 0], 'still owed');
  assert.equal((await api('GET', `/v1/payouts?customer=${ref.key}`)).body.data.length, 0);

  // The dashboard: the review queue shows it with Stripe's message; once the customer exists in
  // Stripe, Retry credit pays it; the Stripe card's credit log shows both attempts' outcome.
  stripeApi.addCustomer('cus_missing42');
  const browser = await launchBrowser();
  try {
    const { page, problems } = await signedInDashboard(browser, worker);
    await page.goto(`${worker.url}/#/p/${program.id}/rewards`);
    const failed = page.locator('#credit-failed');
    const row = failed.getByRole('row').filter({ hasText: ref.key });
    await row.getByText("Stripe credit failed: No such customer: 'cus_missing42'").waitFor();
    await row.getByRole('button', { name: `Retry the Stripe credit of the reward of €12.50 for ${ref.key}` }).click();
    await page.getByRole('status').filter({ hasText: `Credited the reward of €12.50 for ${ref.key} in Stripe: paid.` }).waitFor();
    await row.waitFor({ state: 'detached' });
    await page.goto(`${worker.url}/#/p/${program.id}/integration`);
    const log = page.locator('#stripe-credits');
    await log.getByRole('row').filter({ hasText: ref.key }).getByRole('cell', { name: 'succeeded' }).waitFor();
    // Paddle Billing's card: its endpoint, connected with a signing secret.
    const paddle = page.locator('#integration-paddle');
    await paddle.getByText(`${worker.url}/integrations/paddle/${program.public_id}`).waitFor();
    await paddle.getByLabel('Signing secret').fill('pdl_ntfset_dashboard');
    await paddle.getByRole('button', { name: 'Connect Paddle Billing' }).click();
    await page.locator('#integration-paddle').getByText('connected', { exact: true }).waitFor();
    assert.equal((await owner('GET', `/v1/programs/${program.id}/integrations`)).body.paddle.enabled, true);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
  await paidOnce(api, ref, 1250, `edgeref-credit-${ref.reward.id}-retry1`); // Stripe replays a refusal to the same key: a retry is a new request
  const [after] = (await owner('GET', `/v1/programs/${program.id}/integrations/stripe/credits`)).body.data;
  assert.deepEqual([after.status, after.attempts, after.last_code], ['succeeded', 2, 200]);
  assert.deepEqual((await reward(api, ref.reward.id)).flags, [], 'the flag went with the retry');
  const again = await owner('POST', `/v1/programs/${program.id}/integrations/stripe/credits/${ref.reward.id}/retry`);
  assert.deepEqual([again.status, again.body.error?.code], [409, 'invalid_status']);
  assert.equal((await owner('POST', `/v1/programs/${program.id}/integrations/stripe/credits/rwd_nope/retry`)).status, 404);
  const audit = (await owner('GET', `/v1/programs/${program.id}/audit-log?action=stripe_credit.retried`)).body.data;
  assert.deepEqual(audit.map((e) => e.target.id), [ref.reward.id]);
});

test('nothing is sent when the program pays by hand or the referrer is not linked to Stripe', async () => {
  const manual = await creditingProgram({ fulfilment: { referrer: 'manual' } });
  const a = await referrerWithReward(manual.api);
  assert.equal((await manual.api('POST', `/v1/rewards/${a.reward.id}/approve`)).status, 200);
  const credit = await creditingProgram();
  const ann = await credit.api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' });
  assert.equal(ann.status, 201);
  await credit.api('POST', '/v1/customers', { key: 'bob', email: 'bob@example.net', referring_customer: { key: 'ann' } });
  const [r] = (await credit.api('GET', '/v1/rewards?customer=ann')).body.data;
  assert.equal((await credit.api('POST', `/v1/rewards/${r.id}/approve`)).status, 200);
  await runCron(worker);
  assert.equal(stripeApi.of(a.stripeId).length, 0);
  assert.equal((await reward(manual.api, a.reward.id)).status, 'approved');
  assert.equal((await reward(credit.api, r.id)).status, 'approved');
  assert.equal((await worker.sql(`SELECT COUNT(*) AS n FROM deliveries WHERE integration = 'stripe_credit' AND program_id IN ('${manual.program.id}', '${credit.program.id}')`))[0].n, 0);
});

test('a paid checkout links its buyer to their Stripe customer; a link already set stays', async () => {
  const { api, program } = await creditingProgram();
  await api('POST', '/v1/customers', { key: 'dana', email: 'dana@example.com' });
  await api('POST', '/v1/customers', { key: 'eve', email: 'eve@example.com', stripe_customer_id: 'cus_EveOwn' });
  const url = `${worker.url}/integrations/stripe/${program.public_id}`;
  const post = async (evt) => {
    const body = JSON.stringify(evt);
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': stripe.sign(WEBHOOK_SECRET, body) }, body });
    assert.equal(r.status, 200, await r.text());
  };
  await post(stripe.checkoutCompleted({ email: 'dana@example.com', amount: 4900, customer: 'cus_Dana42' }));
  assert.equal((await api('GET', '/v1/customers/dana')).body.stripe_customer_id, 'cus_Dana42');
  await post(stripe.invoicePaid({ email: 'eve@example.com', amount: 4900, customer: 'cus_SomeoneElse' }));
  assert.equal((await api('GET', '/v1/customers/eve')).body.stripe_customer_id, 'cus_EveOwn');
  // A new buyer who carries a referral code becomes a referred customer linked to Stripe.
  const dana = (await api('GET', '/v1/customers/dana')).body;
  await post(stripe.checkoutCompleted({ email: 'finn@example.com', amount: 4900, customer: 'cus_Finn7', clientReferenceId: dana.referral_code }));
  const finn = (await api('GET', '/v1/customers/cus_Finn7')).body;
  assert.deepEqual([finn.referred_by, finn.stripe_customer_id], ['dana', 'cus_Finn7']);
});

test('limits: only a friend’s first N sales, or those within N months, earn; a milestone is paid once however sales race', async () => {
  const { api, program } = await createProgram(worker, {
    rewards: { referrer: { type: 'percent', percent: 10, limit: { sales: 2 } }, friend: null, milestones: [{ friends: 2, amount: 700 }, { friends: 4, amount: 900 }] },
  });
  const customer = async (key, ref) => assert.equal((await api('POST', '/v1/customers', { key, email: `${key}@example.com`, ...(ref ? { referring_customer: { key: ref } } : {}) })).status, 201);
  const sale = async (key, who, amount = 1000) => { const r = await api('POST', '/v1/transactions', { key, customer: { key: who }, amount, currency: 'EUR' }); assert.equal(r.status, 201, JSON.stringify(r.body)); return r.body; };
  await customer('ann');
  for (const f of ['f1', 'f2', 'f3', 'f4', 'f5']) await customer(f, 'ann');
  // The first two sales of f1 earn 10 %, the third nothing.
  assert.deepEqual([(await sale('s1', 'f1')).reward, (await sale('s2', 'f1')).reward, (await sale('s3', 'f1')).reward], [100, 100, 0]);
  // Four friends' first sales at once: paying friends 1 → 5, each milestone paid once.
  await Promise.all(['f2', 'f3', 'f4', 'f5'].map((f, i) => sale(`r${i}`, f)));
  const rewards = (await api('GET', '/v1/rewards?customer=ann&limit=100')).body.data;
  const bonuses = rewards.filter((r) => r.kind === 'milestone').map((r) => [r.milestone.friends, r.amount, r.transaction_key]).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(bonuses, [[2, 700, null], [4, 900, null]], JSON.stringify(rewards));
  assert.equal(rewards.filter((r) => r.kind === 'referrer').length, 6, 'two sales of f1, one each of the others');
  await sale('late', 'f5');
  assert.equal((await api('GET', '/v1/rewards?customer=ann&limit=100')).body.data.filter((r) => r.kind === 'milestone').length, 2, 'never again');
  assert.equal((await worker.sql(`SELECT COUNT(*) AS n FROM rewards WHERE program_id = '${program.id}' AND milestone IS NOT NULL`))[0].n, 2);

  // Months: a sale 2 months after the friend's first earns nothing.
  const monthly = await createProgram(worker, { rewards: { referrer: { type: 'fixed', amount: 300, on: 'sale', limit: { months: 1 } }, friend: null } });
  await monthly.api('POST', '/v1/customers', { key: 'bo', email: 'bo@example.com' });
  await monthly.api('POST', '/v1/customers', { key: 'cy', email: 'cy@example.net', referring_customer: { key: 'bo' } });
  const first = await monthly.api('POST', '/v1/transactions', { key: 'm1', customer: { key: 'cy' }, amount: 5000, currency: 'EUR' });
  assert.equal(first.body.reward, 300);
  await worker.sql(`UPDATE transactions SET created_at = created_at - 62 * 86400000 WHERE program_id = '${monthly.program.id}'`);
  assert.equal((await monthly.api('POST', '/v1/transactions', { key: 'm2', customer: { key: 'cy' }, amount: 5000, currency: 'EUR' })).body.reward, 0);

  // Bad limits and milestones: 422, nothing changed.
  for (const [rewards, field] of [
    [{ referrer: { type: 'percent', percent: 10, limit: { sales: 0 } }, friend: null }, 'rewards.referrer.limit'],
    [{ referrer: { type: 'fixed', amount: 5, on: 'signup', limit: { months: 3 } }, friend: null }, 'rewards.referrer.limit'],
    [{ referrer: { type: 'percent', percent: 10 }, friend: null, milestones: [{ friends: 3, amount: 100 }, { friends: 3, amount: 200 }] }, 'rewards.milestones'],
    [{ referrer: { type: 'percent', percent: 10 }, friend: null, milestones: [{ friends: 3, amount: 0 }] }, 'rewards.milestones'],
  ]) {
    const bad = await owner('PATCH', `/v1/programs/${program.id}`, { rewards });
    assert.deepEqual([bad.status, bad.body.error?.field], [422, field], JSON.stringify(bad.body));
  }
  const kept = (await owner('GET', `/v1/programs/${program.id}`)).body.rewards;
  assert.deepEqual([kept.referrer.limit, kept.milestones], [{ sales: 2 }, [{ friends: 2, amount: 700 }, { friends: 4, amount: 900 }]]);
});

test('a referred friend gets a Stripe promotion code of their own: on the customer, in /w/me, the friend_welcome e-mail and the signup answer; a taken code is retried with another', async () => {
  const coupon = stripeApi.addCoupon('SPRING25');
  const { api, program } = await creditingProgram({ friend: { type: 'stripe_promotion_code', coupon, expires_days: 30 } });
  await owner('PATCH', `/v1/programs/${program.id}`, { emails: { enabled: true, from_address: 'rewards@shop.example' } });
  const promoCalls = () => stripeApi.calls.filter((c) => c.path === '/v1/promotion_codes' && c.form['metadata[edgeref_customer]']?.startsWith('pf'));
  await api('POST', '/v1/customers', { key: 'pa', email: 'pa@example.com' });
  const friendStripe = stripeApi.addCustomer('cus_PromoFriend1');
  stripeApi.takeCodes(1);
  const before = Math.floor(Date.now() / 1000);
  const created = await api('POST', '/v1/customers', { key: 'pf1', email: 'pf1@example.net', name: 'Pia', referring_customer: { key: 'pa' }, stripe_customer_id: friendStripe });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const [taken, made] = promoCalls();
  assert.deepEqual(promoCalls().map((c) => c.status), [400, 200], 'a taken code, then another');
  assert.notEqual(taken.form.code, made.form.code);
  assert.notEqual(taken.idempotencyKey, made.idempotencyKey);
  assert.match(made.form.code, /^FRIEND-[2-9A-HJKMNP-Z]{8}$/);
  const f = made.form;
  assert.deepEqual([f['promotion[type]'], f['promotion[coupon]'], f.max_redemptions, f['restrictions[first_time_transaction]'], f.customer, f['metadata[edgeref_customer]']],
    ['coupon', 'SPRING25', '1', 'true', friendStripe, 'pf1']);
  assert.ok(Math.abs(Number(f.expires_at) - (before + 30 * 86400)) < 120, f.expires_at);
  assert.equal(made.authorization, `Bearer ${stripeApi.key}`);
  assert.equal(created.body.promotion_code, made.form.code, 'the answer that created the customer carries it');
  assert.equal((await api('GET', '/v1/customers/pf1')).body.promotion_code, made.form.code);
  // The friend's /w/me and their welcome e-mail.
  const { token } = (await api('POST', '/v1/customers/pf1/portal-token')).body;
  const me = await (await fetch(`${worker.url}/w/me`, { headers: { authorization: `Bearer ${token}` } })).json();
  assert.equal(me.promotion_code, made.form.code);
  // The e-mail waits for the code once (a retry 5 s later, sent by the scheduled run) if Stripe had not answered when it was first sent.
  const welcome = await eventually(async () => {
    await runCron(worker);
    const kept = await (await fetch(`${worker.url}/__dev/mail`, { headers: { accept: 'application/json' } })).json();
    return kept.data.find((m) => m.to === 'pf1@example.net' && m.message === 'friend_welcome');
  }, 20_000).catch(async (e) => { throw new Error(`${e.message}: ${JSON.stringify((await owner('GET', `/v1/programs/${program.id}/emails`)).body.data)}`); });
  assert.ok(welcome.text.includes(made.form.code), welcome.text);
  // A signup's answer (the snippet's /t/signup and the backend's /v1/signups answer alike; edgeref('reward') answers it after edgeref('signup')).
  const pa = (await api('GET', '/v1/customers/pa')).body;
  const { body: answer } = await api('POST', '/v1/signups', { code: pa.referral_code, customer: { key: 'pf2', email: 'pf2@example.org' } });
  assert.equal(answer.attributed, true, JSON.stringify(answer));
  assert.match(answer.promotion_code, /^FRIEND-/);
  assert.notEqual(answer.promotion_code, made.form.code, 'each friend their own');
  assert.equal(promoCalls().at(-1).form.customer, undefined, 'no Stripe customer known: none sent');
  // Sent once: the cron trigger finds nothing more to send.
  await runCron(worker);
  assert.equal(promoCalls().filter((c) => c.status === 200).length, 2);
  // Bad settings: 422.
  for (const friend of [{ type: 'stripe_promotion_code', coupon: 'has space' }, { type: 'stripe_promotion_code', coupon: 'C', expires_days: 366 }]) {
    const bad = await owner('PATCH', `/v1/programs/${program.id}`, { rewards: { referrer: { type: 'percent', percent: 10 }, friend } });
    assert.deepEqual([bad.status, bad.body.error?.field], [422, 'rewards.friend'], JSON.stringify(bad.body));
  }
});

test('Paddle Billing and Lemon Squeezy: signed sales and refunds, the referral code from custom data, redeliveries once; a bad or stale signature writes nothing', async () => {
  const { api, program } = await createProgram(worker, { rewards: { referrer: { type: 'percent', percent: 10 }, friend: null } });
  await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' });
  const ann = (await api('GET', '/v1/customers/ann')).body;
  await api('POST', '/v1/customers', { key: 'bea', email: 'bea@example.com', referring_customer: { key: 'ann' } });
  for (const [name, secret] of [['paddle', 'pdl_ntfset_edgeref_test'], ['lemonsqueezy', 'ls_signing_secret']]) {
    const on = await owner('PUT', `/v1/programs/${program.id}/integrations/${name}`, { webhook_secret: secret });
    assert.deepEqual([on.status, on.body.enabled, on.body.endpoint_url], [200, true, `${worker.url}/integrations/${name}/${program.public_id}`]);
  }
  const hmac = (secret, text) => createHmac('sha256', secret).update(text).digest('hex');
  const paddle = (evt, { ts = Math.floor(Date.now() / 1000), secret = 'pdl_ntfset_edgeref_test', tamper = false } = {}) => {
    const body = JSON.stringify(evt);
    return fetch(`${worker.url}/integrations/paddle/${program.public_id}`, { method: 'POST', headers: { 'content-type': 'application/json', 'paddle-signature': `ts=${ts};h1=${hmac(secret, `${ts}:${body}`)}` }, body: tamper ? body.replace('4900', '9900') : body });
  };
  const lemon = (evt, { secret = 'ls_signing_secret', tamper = false } = {}) => {
    const body = JSON.stringify(evt);
    return fetch(`${worker.url}/integrations/lemonsqueezy/${program.public_id}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': hmac(secret, body) }, body: tamper ? body.replace('2500', '9500') : body });
  };
  const txn = { event_type: 'transaction.completed', data: { id: 'txn_01', customer_id: 'ctm_01', currency_code: 'EUR', details: { totals: { total: '4900' } }, custom_data: { edgeref_customer: 'bea' } } };
  const count = async () => (await worker.sql(`SELECT COUNT(*) AS n FROM transactions WHERE program_id = '${program.id}'`))[0].n;
  // Tampered, wrong secret, stale (over 5 minutes): 400, nothing written.
  for (const r of [await paddle(txn, { tamper: true }), await paddle(txn, { secret: 'other' }), await paddle(txn, { ts: Math.floor(Date.now() / 1000) - 301 }), await lemon({ meta: { event_name: 'order_created' }, data: { id: 1, attributes: { total: 2500 } } }, { tamper: true })]) {
    assert.equal(r.status, 400, await r.text());
  }
  assert.equal(await count(), 0, 'nothing written');
  // Paddle: a sale (twice: once), then a refund adjustment (twice: once).
  for (let i = 0; i < 2; i++) assert.equal((await paddle(txn)).status, 200);
  const sale = (await api('GET', '/v1/transactions/paddle_txn_01')).body;
  assert.deepEqual([sale.customer.key, sale.amount, sale.reward, sale.currency], ['bea', 4900, 490, 'EUR']);
  const refund = { event_type: 'adjustment.created', data: { id: 'adj_01', action: 'refund', status: 'approved', transaction_id: 'txn_01', totals: { total: '1000' } } };
  for (let i = 0; i < 2; i++) assert.equal((await paddle(refund)).status, 200);
  assert.equal((await api('GET', '/v1/transactions/paddle_txn_01')).body.refunded, 1000, 'one refund of 10.00');
  // Lemon Squeezy: a new buyer with a referral code in custom data becomes a referred customer; a refund reverses.
  const order = { meta: { event_name: 'order_created', custom_data: { edgeref_code: ann.referral_code } }, data: { id: 77, attributes: { status: 'paid', total: 2500, currency: 'EUR', user_email: 'cy@example.net', user_name: 'Cy' } } };
  for (let i = 0; i < 2; i++) assert.equal((await lemon(order)).status, 200);
  const cy = (await api('GET', '/v1/customers?limit=50')).body.data.find((c) => c.email === 'cy@example.net');
  assert.equal(cy.referred_by, 'ann');
  const lsSale = (await api('GET', '/v1/transactions/lemonsqueezy_order_77')).body;
  assert.deepEqual([lsSale.amount, lsSale.reward], [2500, 250]);
  assert.equal((await lemon({ meta: { event_name: 'order_refunded' }, data: { id: 77, attributes: { refunded_amount: 2500 } } })).status, 200);
  assert.equal((await api('GET', '/v1/transactions/lemonsqueezy_order_77')).body.refunded, 2500);
  assert.equal(await count(), 2, 'redeliveries counted once');
  const listed = (await owner('GET', `/v1/programs/${program.id}/integrations`)).body;
  assert.deepEqual([listed.paddle.enabled, listed.lemonsqueezy.enabled], [true, true]);
  assert.equal((await owner('PUT', `/v1/programs/${program.id}/integrations/paddle`, { webhook_secret: '' })).status, 422);
  assert.equal((await owner('DELETE', `/v1/programs/${program.id}/integrations/lemonsqueezy`)).status, 200);
  assert.equal((await lemon(order)).status, 404, 'switched off');
});
