// Webhooks end to end: the real Worker on `wrangler dev`, a receiver on
// 127.0.0.1 standing in for the merchant's endpoint, the cron trigger driven
// through wrangler's scheduled-test endpoint, signatures checked with the
// official `standardwebhooks` library from PyPI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, createProgram, startReceiver, client, runCron, eventually, ADMIN_TOKEN } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
let worker, owner;

before(async () => { worker = await startWorker(); owner = client(worker.url, ADMIN_TOKEN); });
after(() => worker?.stop());

const newProgram = (fields) => createProgram(worker, fields);

/** Verifies requests with the PyPI `standardwebhooks` package. */
function verifyWithLibrary(secret, requests) {
  return new Promise((resolve, reject) => {
    const py = execFile(join(here, '..', '.venv', 'bin', 'python'), [join(here, 'verify_webhooks.py')], (err, stdout) => {
      if (err) return reject(err);
      resolve(stdout.trim().split('\n').map((l) => JSON.parse(l)));
    });
    py.stdin.end(JSON.stringify({ secret, requests: requests.map((r) => ({ headers: r.headers, body: r.body })) }));
  });
}

/** Makes every pending delivery due now, then runs the cron trigger. */
async function retryNow() {
  await worker.sql(`UPDATE deliveries SET next_attempt_at = 0 WHERE status = 'pending'`);
  await runCron(worker);
}

test('every event type is delivered with its payload and a valid Standard Webhooks signature', async () => {
  const receiver = await startReceiver();
  const { api, program } = await newProgram();
  const hook = await api('POST', '/v1/webhooks', {
    name: 'All', url: `${receiver.url}/hook`,
    events: ['customer.created', 'customer.updated', 'customer.deleted', 'customer.credited', 'transaction.created', 'transaction.deleted'],
  });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  assert.match(hook.body.secret, /^whsec_/);
  assert.equal((await api('GET', `/v1/webhooks/${hook.body.id}`)).body.secret, undefined, 'the secret is shown once');

  await api('POST', '/v1/customers', { key: 'ref', email: 'ref@example.com' });
  const friend = await api('POST', '/v1/customers', { key: 'friend', email: 'friend@example.com', referring_customer: { key: 'ref' } });
  await api('PATCH', '/v1/customers/friend', { name: 'Fran' });
  await api('POST', '/v1/customers/ref/credit', { amount: 300, note: 'bonus' });
  const sale = await api('POST', '/v1/transactions', { key: 'o1', customer: { key: 'friend' }, amount: 5000, currency: 'EUR' });
  await api('DELETE', '/v1/transactions/o1');
  await api('DELETE', '/v1/customers/friend');

  const expected = ['customer.created', 'customer.created', 'customer.updated', 'customer.credited', 'transaction.created', 'transaction.deleted', 'customer.deleted'];
  await receiver.waitUntil((r) => r.length >= expected.length);
  const verified = await verifyWithLibrary(hook.body.secret, receiver.requests);
  assert.ok(verified.every((v) => v.ok), JSON.stringify(verified.filter((v) => !v.ok)));
  const payloads = verified.map((v) => v.payload).sort((a, b) => a.timestamp.localeCompare(b.timestamp) || 0);
  assert.deepEqual(payloads.map((p) => p.type).sort(), [...expected].sort());
  for (const [i, p] of payloads.entries()) {
    assert.equal(p.program_id, program.id);
    assert.equal(receiver.requests.find((r) => JSON.parse(r.body).id === p.id).headers['webhook-id'], p.id);
    assert.match(p.timestamp, /^\d{4}-\d\d-\d\dT/, `payload ${i}`);
  }
  const created = payloads.find((p) => p.type === 'customer.created' && p.data.key === 'friend');
  assert.deepEqual(created.data, friend.body, 'data is the object the REST API returns');
  assert.deepEqual(payloads.find((p) => p.type === 'transaction.created').data, sale.body);
  assert.equal(payloads.find((p) => p.type === 'customer.credited').data.amount, 300);

  const tampered = await verifyWithLibrary(hook.body.secret, [{ ...receiver.requests[0], body: receiver.requests[0].body.replace('"', ' "') }]);
  assert.equal(tampered[0].ok, false, 'a changed body fails verification');
  await receiver.stop();
});

test('a failing endpoint gets retries until it succeeds, with one stable webhook-id', async () => {
  const receiver = await startReceiver();
  receiver.setResponder((_req, n) => (n <= 2 ? { status: 500, body: 'boom' } : { status: 204 }));
  const { api } = await newProgram();
  const hook = await api('POST', '/v1/webhooks', { name: 'Flaky', url: receiver.url, events: ['customer.created'] });
  await api('POST', '/v1/customers', { key: 'c1', email: 'c1@example.com' });
  await receiver.waitUntil((r) => r.length === 1);

  // The receiver answers before the Worker records the attempt: wait for the record.
  const d1 = await eventually(async () => {
    const [d] = (await api('GET', `/v1/webhooks/${hook.body.id}/deliveries`)).body.data;
    return d?.attempts.length > 0 && d;
  });
  assert.equal(d1.status, 'pending');
  assert.equal(d1.attempts[0].response_code, 500);
  assert.equal(d1.attempts[0].response_body, 'boom');
  assert.ok(d1.next_attempt_at, 'the next retry is scheduled');
  assert.ok(Date.parse(d1.next_attempt_at) > Date.now(), 'backoff: not retried at once');

  await runCron(worker);
  assert.equal(receiver.requests.length, 1, 'the cron only sends deliveries that are due');
  await retryNow();
  await receiver.waitUntil((r) => r.length === 2);
  await retryNow();
  await receiver.waitUntil((r) => r.length === 3);
  await retryNow();
  assert.equal(receiver.requests.length, 3, 'nothing is sent after success');
  assert.equal(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size, 1);

  const log = await eventually(async () => {
    const l = await api('GET', `/v1/webhooks/${hook.body.id}/deliveries`);
    return l.body.data[0].status === 'succeeded' && l;
  });
  const [d] = log.body.data;
  assert.deepEqual(d.attempts.map((a) => a.response_code), [500, 500, 204]);
  assert.equal(d.next_attempt_at, null);
  assert.ok(d.attempts.every((a) => Number.isInteger(a.duration_ms)));
  await receiver.stop();
});

test('events produced while the receiver is down all arrive once it is back', async () => {
  let receiver = await startReceiver();
  const port = receiver.port;
  await receiver.stop();
  const { api } = await newProgram();
  const hook = await api('POST', '/v1/webhooks', { name: 'Down', url: `http://127.0.0.1:${port}/`, events: ['customer.credited'] });
  await api('POST', '/v1/customers', { key: 'c', email: 'c@example.com' });
  for (let i = 0; i < 100; i++) {
    const r = await api('POST', '/v1/customers/c/credit', { amount: i + 1 });
    assert.equal(r.status, 201);
  }
  await eventually(async () => {
    const [row] = await worker.sql(`SELECT COUNT(*) AS n FROM deliveries WHERE webhook_id = '${hook.body.id}' AND attempts >= 1`);
    return row.n === 100;
  });
  receiver = await startReceiver(port);
  await retryNow();
  await receiver.waitUntil((r) => r.length >= 100, 30_000);
  const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
  assert.equal(ids.size, 100, 'every event arrived, none twice');
  const amounts = receiver.requests.map((r) => JSON.parse(r.body).data.amount).sort((a, b) => a - b);
  assert.deepEqual(amounts, Array.from({ length: 100 }, (_, i) => i + 1));
  const [row] = await worker.sql(`SELECT COUNT(*) AS n FROM deliveries WHERE webhook_id = '${hook.body.id}' AND status = 'succeeded'`);
  assert.equal(row.n, 100);
  await receiver.stop();
});

test('inactive webhooks and unsubscribed events send nothing; test events and resends do', async () => {
  const receiver = await startReceiver();
  const { api } = await newProgram();
  const off = await api('POST', '/v1/webhooks', { name: 'Off', url: `${receiver.url}/off`, events: ['customer.created'], is_active: false });
  const other = await api('POST', '/v1/webhooks', { name: 'Other', url: `${receiver.url}/other`, events: ['transaction.created'] });
  await api('POST', '/v1/customers', { key: 'c', email: 'c@example.com' });
  const [row] = await worker.sql(`SELECT COUNT(*) AS n FROM deliveries WHERE webhook_id IN ('${off.body.id}', '${other.body.id}')`);
  assert.equal(row.n, 0, 'no delivery is even queued');

  const test1 = await api('POST', `/v1/webhooks/${other.body.id}/test`);
  assert.equal(test1.status, 202);
  await receiver.waitUntil((r) => r.length === 1);
  assert.equal(receiver.requests[0].url, '/other');
  assert.equal(JSON.parse(receiver.requests[0].body).type, 'webhook.test');

  const log = await api('GET', `/v1/webhooks/${other.body.id}/deliveries`);
  const resend = await api('POST', `/v1/webhooks/${other.body.id}/deliveries/${log.body.data[0].id}/resend`);
  assert.equal(resend.status, 202);
  await receiver.waitUntil((r) => r.length === 2);
  assert.equal(receiver.requests[1].headers['webhook-id'], receiver.requests[0].headers['webhook-id'], 'a resend is the same message');

  const rotated = await api('POST', `/v1/webhooks/${other.body.id}/rotate-secret`);
  assert.notEqual(rotated.body.secret, other.body.secret);
  await api('POST', `/v1/webhooks/${other.body.id}/test`);
  await receiver.waitUntil((r) => r.length === 3);
  const [v] = await verifyWithLibrary(rotated.body.secret, [receiver.requests[2]]);
  assert.ok(v.ok, 'signed with the new secret');

  const edited = await api('PATCH', `/v1/webhooks/${off.body.id}`, { is_active: true, events: ['customer.updated'] });
  assert.equal(edited.body.is_active, true);
  assert.deepEqual(edited.body.events, ['customer.updated']);
  assert.equal((await api('PATCH', `/v1/webhooks/${off.body.id}`, { events: ['customer.nope'] })).status, 422);
  assert.equal((await api('POST', '/v1/webhooks', { name: 'x', url: 'http://example.com/', events: ['customer.created'] })).status, 422, 'plain http only for localhost');
  assert.equal((await api('DELETE', `/v1/webhooks/${off.body.id}`)).status, 200);
  assert.equal((await api('GET', `/v1/webhooks/${off.body.id}`)).status, 404);
  assert.equal((await owner('GET', `/v1/programs/${(await api('GET', '/v1/me')).body.program.id}/webhooks`)).body.data.length, 1);
  await receiver.stop();
});

test('an endpoint that fails every attempt is disabled, and says why', async () => {
  const receiver = await startReceiver();
  receiver.setResponder(() => ({ status: 503, body: 'down for maintenance' }));
  const { api } = await newProgram();
  const hook = await api('POST', '/v1/webhooks', { name: 'Dead', url: receiver.url, events: ['customer.created'] });
  await api('POST', '/v1/customers', { key: 'c', email: 'c@example.com' });
  await receiver.waitUntil((r) => r.length === 1);
  // The first attempt (sent after the response) holds its lease until it is recorded: wait for that.
  await eventually(async () => (await api('GET', `/v1/webhooks/${hook.body.id}/deliveries`)).body.data[0]?.attempts.length > 0);
  for (let n = 2; n <= 8; n++) {
    await retryNow();
    await receiver.waitUntil((r) => r.length === n);
  }
  const state = await eventually(async () => {
    const h = await api('GET', `/v1/webhooks/${hook.body.id}`);
    return h.body.is_active === false && h.body;
  });
  assert.match(state.disabled_reason, /8 failed attempts.*HTTP 503/);
  const log = await api('GET', `/v1/webhooks/${hook.body.id}/deliveries`);
  assert.equal(log.body.data[0].status, 'failed');
  assert.equal(log.body.data[0].attempts.length, 8);
  await retryNow();
  assert.equal(receiver.requests.length, 8, 'no ninth attempt');
  await receiver.stop();
});
