// The Zapier app, run by zapier-platform-core's own app tester against the
// real Edgeref Worker on `wrangler dev`.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const zapier = require('zapier-platform-core');
const App = require('../index');

const appTester = zapier.createAppTester(App);
let harness, worker, bundle, api, receiver;

before(async () => {
  harness = await import('../../../tests/harness.mjs');
  worker = await harness.startWorker();
  const seed = await harness.createProgram(worker, { name: 'Zap shop' });
  api = seed.api;
  receiver = await harness.startReceiver();
  bundle = { authData: { base_url: worker.url, api_key: seed.key.key } };
});
after(async () => { await receiver?.stop(); await worker?.stop(); });

test('the auth test answers with the program, and refuses a bad key', async () => {
  const me = await appTester(App.authentication.test, bundle);
  assert.equal(me.program.name, 'Zap shop');
  assert.equal(App.authentication.connectionLabel({}, { inputData: me }), 'Zap shop');
  await assert.rejects(appTester(App.authentication.test, { authData: { ...bundle.authData, api_key: 'erk_wrong' } }), /invalid credentials/);
});

test('subscribe creates a zapier webhook that delivers; unsubscribe deletes it', async () => {
  const t = App.triggers.customer_created.operation;
  const sub = await appTester(t.performSubscribe, { ...bundle, targetUrl: `${receiver.url}/zap` });
  const hooks = (await api('GET', '/v1/webhooks')).body.data;
  const hook = hooks.find((h) => h.id === sub.id);
  assert.equal(hook.source, 'zapier');
  assert.deepEqual(hook.events, ['customer.created']);
  await api('POST', '/v1/customers', { key: 'zoe', email: 'zoe@example.com' });
  await receiver.waitUntil((r) => r.some((x) => x.url === '/zap'));
  const delivered = JSON.parse(receiver.requests.find((x) => x.url === '/zap').body);
  const items = await appTester(t.perform, { ...bundle, cleanedRequest: delivered });
  assert.equal(items[0].key, 'zoe');
  assert.equal(items[0].id, delivered.id);
  await appTester(t.performUnsubscribe, { ...bundle, subscribeData: sub });
  assert.equal((await api('GET', `/v1/webhooks/${sub.id}`)).status, 404);
});

test('performList returns recent samples of the event', async () => {
  const list = App.triggers.transaction_created.operation.performList;
  assert.deepEqual(await appTester(list, bundle), []);
  await api('POST', '/v1/customers', { key: 'buyer', email: 'buyer@example.com' });
  await api('POST', '/v1/transactions', { key: 'o-1', customer: { key: 'buyer' }, amount: 1200, currency: 'EUR' });
  const samples = await appTester(list, bundle);
  assert.equal(samples.length, 1);
  assert.equal(samples[0].key, 'o-1');
  assert.match(samples[0].id, /^msg_/);
});

test('the actions create real customers and transactions, and show Edgeref errors', async () => {
  const customer = await appTester(App.creates.customer.operation.perform, { ...bundle, inputData: { key: 'yan', email: 'yan@example.com', name: 'Yan' } });
  assert.equal(customer.key, 'yan');
  const referred = await appTester(App.creates.customer.operation.perform, { ...bundle, inputData: { key: 'xia', email: 'xia@example.com', referring_customer_key: 'yan' } });
  assert.equal(referred.referred_by, 'yan');
  const tx = await appTester(App.creates.transaction.operation.perform, { ...bundle, inputData: { key: 'zap-1', customer_email: 'xia@example.com', amount: '5000', currency: 'eur' } });
  assert.equal(tx.reward, 500);
  assert.equal((await api('GET', '/v1/customers/yan')).body.balance, 500);
  await assert.rejects(
    appTester(App.creates.customer.operation.perform, { ...bundle, inputData: { key: 'bad', email: 'not-an-email' } }),
    /email address.*\(email\)/,
  );
});
