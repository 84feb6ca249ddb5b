// Faults and concurrency: slow, broken and redirecting endpoints, a Worker
// restart in the middle of a delivery, and racing writes to one ledger.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, createProgram, startReceiver, client, runCron, eventually, ADMIN_TOKEN } from './harness.mjs';

const vars = { WEBHOOK_TIMEOUT_MS: '1500' };
let state, worker;

before(async () => {
  state = await mkdtemp(join(tmpdir(), 'edgeref-reliability-'));
  worker = await startWorker({ state, vars });
});
after(async () => {
  await worker?.stop();
  await rm(state, { recursive: true, force: true });
});

const newProgram = (fields) => createProgram(worker, fields);

test('a hanging endpoint times out without delaying a healthy one; garbage and redirects are handled', async () => {
  const slow = await startReceiver();
  slow.setResponder(() => ({ hang: true }));
  const healthy = await startReceiver();
  healthy.setResponder(() => ({ status: 200, body: 'x'.repeat(50_000) }));
  const moved = await startReceiver();
  moved.setResponder(() => ({ status: 302, headers: { location: `${healthy.url}/elsewhere` } }));
  const { api } = await newProgram();
  const hooks = {};
  for (const [name, r] of Object.entries({ slow, healthy, moved })) {
    hooks[name] = (await api('POST', '/v1/webhooks', { name, url: r.url, events: ['customer.created'] })).body.id;
  }
  const t0 = Date.now();
  await api('POST', '/v1/customers', { key: 'c', email: 'c@example.com' });
  await healthy.waitUntil((r) => r.length === 1);
  assert.ok(Date.now() - t0 < 1500, 'the healthy endpoint did not wait for the hanging one');

  const attempt = async (name) => eventually(async () => {
    const log = await api('GET', `/v1/webhooks/${hooks[name]}/deliveries`);
    return log.body.data[0]?.attempts[0];
  });
  const timedOut = await attempt('slow');
  assert.equal(timedOut.response_code, null);
  assert.match(timedOut.error, /timed out after 1500 ms/);
  const ok = await attempt('healthy');
  assert.equal(ok.response_code, 200);
  assert.equal(ok.response_body.length, 1024, 'response bodies are read up to 1 KiB');
  const redirect = await attempt('moved');
  assert.equal(redirect.response_code, 302, 'redirects are not followed');
  assert.equal(healthy.requests.filter((r) => r.url === '/elsewhere').length, 0);
  for (const r of [slow, healthy, moved]) await r.stop();
});

test('a Worker restart in the middle of a delivery loses no event', async () => {
  const receiver = await startReceiver();
  receiver.setResponder(() => ({ hang: true }));
  const { api, key: { key } } = await newProgram();
  const hook = (await api('POST', '/v1/webhooks', { name: 'r', url: receiver.url, events: ['customer.created'] })).body;
  await api('POST', '/v1/customers', { key: 'during-restart', email: 'r@example.com' });
  await receiver.waitUntil((r) => r.length === 1);
  // The attempt is in flight: kill the Worker now, then bring it back on the same D1.
  await worker.stop();
  worker = await startWorker({ state, vars });
  receiver.setResponder(() => ({ status: 204 }));
  const [d] = await worker.sql(`SELECT status, attempts FROM deliveries WHERE webhook_id = '${hook.id}'`);
  assert.equal(d.status, 'pending', 'the outbox still holds it');
  assert.equal(d.attempts, 0, 'the interrupted attempt never finished');
  await worker.sql(`UPDATE deliveries SET next_attempt_at = 0 WHERE webhook_id = '${hook.id}'`); // the lease ran out
  await runCron(worker);
  await receiver.waitUntil((r) => r.length === 2);
  assert.equal(receiver.requests[1].headers['webhook-id'], receiver.requests[0].headers['webhook-id']);
  const log = await eventually(async () => {
    const l = await client(worker.url, key)('GET', `/v1/webhooks/${hook.id}/deliveries`);
    return l.body.data[0].status === 'succeeded' && l;
  });
  assert.equal(log.body.data[0].attempts.length, 1);
  await receiver.stop();
});

test('200 concurrent identical transactions make one transaction and one reward', async () => {
  const { api } = await newProgram();
  await api('POST', '/v1/customers', { key: 'r', email: 'r@example.com' });
  await api('POST', '/v1/customers', { key: 'f', email: 'f@example.com', referring_customer: { key: 'r' } });
  const sale = { key: 'dup', customer: { key: 'f' }, amount: 2500, currency: 'EUR' };
  const results = await Promise.all(Array.from({ length: 200 }, () => api('POST', '/v1/transactions', sale)));
  const by = results.reduce((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
  assert.equal(by[201], 1, JSON.stringify(by));
  assert.equal((by[200] ?? 0) + by[201], 200, JSON.stringify(by));
  const [t] = await worker.sql(`SELECT COUNT(*) AS n FROM transactions WHERE key = 'dup'`);
  assert.equal(t.n, 1);
  assert.equal((await api('GET', '/v1/customers/r')).body.balance, 250);
});

test('concurrent credits and transaction deletes keep balance == sum of the ledger', async () => {
  const { api, program } = await newProgram();
  await api('POST', '/v1/customers', { key: 'r', email: 'r@example.com' });
  await api('POST', '/v1/customers', { key: 'f', email: 'f@example.com', referring_customer: { key: 'r' } });
  for (let i = 0; i < 20; i++) await api('POST', '/v1/transactions', { key: `t${i}`, customer: { key: 'f' }, amount: 1000, currency: 'EUR' });
  const ops = [];
  for (let i = 0; i < 20; i++) {
    ops.push(api('POST', '/v1/customers/r/credit', { amount: 7 }));
    ops.push(api('DELETE', `/v1/transactions/t${i}`));
    ops.push(api('DELETE', `/v1/transactions/t${i}`)); // a racing duplicate delete
  }
  const results = await Promise.all(ops);
  // A 503 (storage busy under this burst) must carry Retry-After and have written nothing;
  // everything else must be a clean answer. The ledger must agree with what succeeded.
  for (const r of results) {
    assert.ok(r.status < 500 || (r.status === 503 && r.headers.get('retry-after')), `status ${r.status}`);
  }
  const credited = results.filter((r, i) => i % 3 === 0 && r.status === 201).length;
  const deleted = new Set(results.map((r, i) => (i % 3 !== 0 && r.status === 200 ? Math.floor(i / 3) : null)).filter((x) => x !== null));
  const [ledger] = await worker.sql(`SELECT SUM(amount) AS sum FROM ledger WHERE program_id = '${program.id}' AND customer_key = 'r'`);
  const balance = (await api('GET', '/v1/customers/r')).body.balance;
  assert.equal(balance, ledger.sum);
  assert.equal(balance, (20 - deleted.size) * 100 + credited * 7, 'every reward reversed once per deleted transaction, every credit kept');
  const seen = results.map((r) => `${r.status}${r.body?.error ? ` ${r.body.error.code}` : ''}`);
  assert.ok(credited + deleted.size > 20, `most operations succeeded (${credited} credits, ${deleted.size} deletes): ${seen.join(', ')}\n${worker.log().slice(-3000)}`);
});

test('concurrent signups for the same customer key make one customer', async () => {
  const { program, api } = await newProgram();
  const alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com' })).body;
  const body = JSON.stringify({ program: program.public_id, code: alice.referral_code, customer: { key: 'newbie', email: 'newbie@example.com' } });
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) =>
    client(worker.url)('POST', '/t/signup', body, { 'content-type': 'text/plain', 'cf-connecting-ip': `10.7.0.${i}` })));
  assert.ok(results.every((r) => r.status === 200 && r.body.attributed === true), JSON.stringify(results.map((r) => [r.status, r.body?.reason ?? r.body?.error?.code])));
  const [row] = await worker.sql(`SELECT COUNT(*) AS n FROM customers WHERE program_id = '${program.id}' AND key = 'newbie'`);
  assert.equal(row.n, 1);
  assert.equal((await api('GET', '/v1/customers/alice')).body.referrals_count, 1, 'the referral counted once');
});
