// The audit log against the real Worker: every change through the owner API, a
// dashboard session or an API key is recorded in the change's own D1 batch with
// who made it, never a secret; failed changes leave nothing; old entries are
// pruned by the scheduled run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, createProgram, client, runCron, ADMIN_TOKEN } from './harness.mjs';

let worker, owner;
before(async () => { worker = await startWorker(); owner = client(worker.url, ADMIN_TOKEN); });
after(() => worker?.stop());

/** Every audit entry of a program, newest first, following the cursor. */
async function auditLog(programId, query = '', limit = 250) {
  const entries = [];
  let cursor = null;
  do {
    const r = await owner('GET', `/v1/programs/${programId}/audit-log?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    entries.push(...r.body.data);
    cursor = r.body.next_cursor;
  } while (cursor);
  return entries;
}

const actions = (entries) => entries.map((e) => e.action);

/** Requests as the dashboard makes them: the session cookie and this Worker's Origin. */
async function dashboard() {
  const r = await fetch(`${worker.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: worker.url }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
  assert.equal(r.status, 200);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const plain = client(worker.url, null);
  return (method, path, body, headers = {}) => plain(method, path, body, { cookie, origin: worker.url, ...headers });
}

test('each actor is recorded: admin token, dashboard session, API key by id and name, with a keyed IP hash', async () => {
  const { program, key, api } = await createProgram(worker);
  const ui = await dashboard();
  assert.equal((await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' }, { 'cf-connecting-ip': '203.0.113.7' })).status, 201);
  assert.equal((await ui('PATCH', `/v1/programs/${program.id}/customers/ann`, { name: 'Ann' }, { 'cf-connecting-ip': '203.0.113.7' })).status, 200);
  assert.equal((await owner('PATCH', `/v1/programs/${program.id}`, { name: 'Shop 2' }, { 'cf-connecting-ip': '198.51.100.9' })).status, 200);

  const log = await auditLog(program.id);
  assert.deepEqual(actions(log), ['program.updated', 'customer.updated', 'customer.created', 'api_key.created', 'program.created'], 'newest first');
  const [renamed, updated, created, keyCreated] = log;
  assert.deepEqual(renamed.actor, { type: 'admin' });
  assert.deepEqual(updated.actor, { type: 'session' });
  assert.deepEqual(created.actor, { type: 'api_key', id: key.id, name: 'backend' });
  assert.deepEqual(keyCreated.actor, { type: 'admin' });
  assert.deepEqual(created.target, { type: 'customer', id: 'ann' });
  assert.deepEqual(renamed.target, { type: 'program', id: program.id });
  assert.match(created.created_at, /^\d{4}-\d\d-\d\dT/);
  // The same address hashes the same, another differently, and the address itself is not stored.
  assert.match(created.ip_hash, /^[0-9a-f]{32}$/);
  assert.equal(updated.ip_hash, created.ip_hash);
  assert.notEqual(renamed.ip_hash, created.ip_hash);
  assert.equal(JSON.stringify(log).includes('203.0.113.7'), false);
});

test('the diff lists only the changed fields, nested ones by path', async () => {
  const { program, api } = await createProgram(worker);
  await api('POST', '/v1/customers', { key: 'bo', email: 'bo@example.com', name: 'Bo' });
  await api('PATCH', '/v1/customers/bo', { surname: 'Lee' });
  await owner('PATCH', `/v1/programs/${program.id}`, { tracking: { cookie_days: 60 }, rewards: { hold_days: 7 } });
  const [programUpdated, customerUpdated, customerCreated] = await auditLog(program.id);
  assert.deepEqual(customerUpdated.diff, { surname: { from: null, to: 'Lee' } });
  assert.deepEqual(customerCreated.diff.email, { to: 'bo@example.com' });
  assert.deepEqual(customerCreated.diff.name, { to: 'Bo' });
  assert.deepEqual(programUpdated.diff, { 'tracking.cookie_days': { from: 30, to: 60 }, 'rewards.hold_days': { from: 0, to: 7 } });
});

test('every resource kind produces entries, and no secret ever appears in the log', async () => {
  const { program, key, api } = await createProgram(worker, { rewards: { referrer: { type: 'percent', percent: 10 }, friend: null, approval: 'manual' } });
  const secrets = [key.key];
  // Webhooks: created (with its signing secret), updated, secret rotated, deleted.
  const hook = await api('POST', '/v1/webhooks', { name: 'Orders', url: 'https://hooks.example/in', events: ['customer.created'] });
  assert.equal(hook.status, 201);
  secrets.push(hook.body.secret);
  await api('PATCH', `/v1/webhooks/${hook.body.id}`, { is_active: false });
  const rotated = await api('POST', `/v1/webhooks/${hook.body.id}/rotate-secret`);
  secrets.push(rotated.body.secret);
  await api('DELETE', `/v1/webhooks/${hook.body.id}`);
  // Integrations with credentials.
  const stripeSecret = 'whsec_audit_' + Math.random().toString(36).slice(2);
  const mlToken = 'ml-token-' + Math.random().toString(36).slice(2);
  secrets.push(stripeSecret, mlToken);
  assert.equal((await owner('PUT', `/v1/programs/${program.id}/integrations/stripe`, { webhook_secret: stripeSecret })).status, 200);
  assert.equal((await owner('PUT', `/v1/programs/${program.id}/integrations/mailerlite`, { api_token: mlToken, group_id: 'g1' })).status, 200);
  assert.equal((await owner('PUT', `/v1/programs/${program.id}/integrations/mailerlite`, { api_token: mlToken + 'x', group_id: 'g2' })).status, 200);
  secrets.push(mlToken + 'x');
  await owner('DELETE', `/v1/programs/${program.id}/integrations/stripe`);
  // A second API key, revoked.
  const spare = await owner('POST', `/v1/programs/${program.id}/api-keys`, { name: 'spare' });
  secrets.push(spare.body.key);
  assert.equal((await owner('DELETE', `/v1/programs/${program.id}/api-keys/${spare.body.id}`)).status, 200);
  // Customers, a sale, its rewards decided, a payout, a credit, deletions.
  await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' });
  await api('POST', '/v1/customers', { key: 'bob', email: 'bob@example.com', referring_customer: { key: 'ann' } });
  assert.equal((await api('POST', '/v1/transactions', { key: 't1', customer: { key: 'bob' }, amount: 5000, currency: 'EUR' })).status, 201);
  assert.equal((await api('POST', '/v1/transactions', { key: 't2', customer: { key: 'bob' }, amount: 3000, currency: 'EUR' })).status, 201);
  const pending = (await api('GET', '/v1/rewards?status=pending')).body.data;
  assert.equal(pending.length, 2);
  assert.equal((await api('POST', `/v1/rewards/${pending[0].id}/approve`)).status, 200);
  assert.equal((await api('POST', `/v1/rewards/${pending[1].id}/reject`, { reason: 'test order' })).status, 200);
  assert.equal((await api('POST', '/v1/payouts', { customer: { key: 'ann' }, reference: 'bank-1' })).status, 201);
  assert.equal((await api('POST', '/v1/customers/bob/credit', { amount: 100, note: 'goodwill' })).status, 201);
  assert.equal((await api('DELETE', '/v1/transactions/t2')).status, 200);

  const log = await auditLog(program.id);
  const seen = new Set(actions(log));
  for (const action of ['program.created', 'api_key.created', 'api_key.revoked', 'webhook.created', 'webhook.updated', 'webhook.secret_rotated', 'webhook.deleted',
    'integration.enabled', 'integration.updated', 'integration.deleted', 'customer.created', 'customer.credited', 'transaction.created', 'transaction.deleted',
    'reward.approved', 'reward.rejected', 'payout.created']) {
    assert.ok(seen.has(action), `${action} recorded; saw ${[...seen]}`);
  }
  const text = JSON.stringify(log);
  for (const secret of secrets) assert.equal(text.includes(secret), false, `a secret leaked into the audit log: ${secret.slice(0, 8)}…`);
  const byAction = Object.fromEntries(log.map((e) => [e.action, e]));
  assert.deepEqual(byAction['webhook.created'].diff.secret, { to: '[redacted]' });
  assert.deepEqual(byAction['webhook.secret_rotated'].diff.secret, { from: '[redacted]', to: '[redacted]' });
  assert.deepEqual(byAction['webhook.updated'].diff, { is_active: { from: true, to: false } });
  assert.deepEqual(byAction['integration.updated'].diff, { group_id: { from: 'g1', to: 'g2' }, api_token: { from: '[redacted]', to: '[redacted]' } });
  assert.deepEqual(byAction['integration.deleted'].target, { type: 'integration', id: 'stripe' });
  assert.deepEqual(byAction['reward.rejected'].diff.status, { from: 'pending', to: 'rejected' });
  assert.deepEqual(byAction['reward.approved'].target, { type: 'reward', id: pending[0].id });
  assert.deepEqual(byAction['payout.created'].diff.customer, { to: 'ann' });
  assert.deepEqual(byAction['api_key.revoked'].target, { type: 'api_key', id: spare.body.id });
  assert.deepEqual(byAction['customer.credited'].diff.amount, { to: 100 });
  // Nor is any secret stored in the table itself.
  const rows = JSON.stringify(await worker.sql(`SELECT * FROM audit_log WHERE program_id = '${program.id}'`));
  for (const secret of secrets) assert.equal(rows.includes(secret), false);
});

test('a failed change writes no entry', async () => {
  const { program, api } = await createProgram(worker);
  await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' });
  const count = async () => (await auditLog(program.id)).length;
  const n = await count();
  assert.equal((await api('POST', '/v1/customers', { key: 'ann', email: 'other@example.com' })).status, 409);
  assert.equal((await api('POST', '/v1/customers', { key: 'cy', email: 'not-an-email' })).status, 422);
  assert.equal((await owner('PATCH', `/v1/programs/${program.id}`, { tracking: { cookie_days: 0 } })).status, 422);
  assert.equal((await api('POST', '/v1/webhooks', { name: 'x', url: 'ftp://x', events: ['customer.created'] })).status, 422);
  assert.equal((await owner('DELETE', `/v1/programs/${program.id}/api-keys/key_nope`)).status, 404);
  // Revoked five times at once: one revocation, one entry.
  const spare = (await owner('POST', `/v1/programs/${program.id}/api-keys`, { name: 'spare' })).body;
  const revokes = await Promise.all([1, 2, 3, 4, 5].map(() => owner('DELETE', `/v1/programs/${program.id}/api-keys/${spare.id}`)));
  assert.deepEqual(revokes.map((r) => r.status).sort(), [200, 404, 404, 404, 404]);
  assert.equal((await auditLog(program.id, '&action=api_key.revoked')).length, 1);
  await api('POST', '/v1/transactions', { key: 't1', customer: { key: 'ann' }, amount: 100, currency: 'EUR' });
  const m = await count();
  assert.equal(m, n + 3, 'only the spare key\'s creation and revocation, and the sale');
  // A replayed sale (same key, same body) changes nothing and records nothing.
  assert.equal((await api('POST', '/v1/transactions', { key: 't1', customer: { key: 'ann' }, amount: 100, currency: 'EUR' })).status, 200);
  assert.equal((await api('POST', '/v1/transactions', { key: 't1', customer: { key: 'ann' }, amount: 999, currency: 'EUR' })).status, 409);
  assert.equal(await count(), m);
});

test('filters by actor, action and target; limit and cursor page newest first without gaps', async () => {
  const { program, key, api } = await createProgram(worker);
  for (let i = 0; i < 7; i++) await api('POST', '/v1/customers', { key: `c${i}`, email: `c${i}@example.com` });
  await api('PATCH', '/v1/customers/c3', { name: 'Three' });
  await owner('PATCH', `/v1/programs/${program.id}/customers/c3`, { name: 'Drei' });

  const byKey = await auditLog(program.id, `&actor=${key.id}`);
  assert.equal(byKey.length, 8);
  assert.ok(byKey.every((e) => e.actor.id === key.id));
  assert.deepEqual(actions(await auditLog(program.id, '&actor=admin')), ['customer.updated', 'api_key.created', 'program.created']);
  assert.equal((await auditLog(program.id, '&action=customer.created')).length, 7);
  const c3 = await auditLog(program.id, '&target_type=customer&target_id=c3');
  assert.deepEqual(actions(c3), ['customer.updated', 'customer.updated', 'customer.created']);
  assert.deepEqual(c3[0].diff, { name: { from: 'Three', to: 'Drei' } });
  assert.equal((await auditLog(program.id, '&target_type=webhook')).length, 0);

  const all = await auditLog(program.id);
  const paged = await auditLog(program.id, '', 3);
  assert.deepEqual(paged.map((e) => e.id), all.map((e) => e.id), 'pages of 3 give the same entries in the same order');
  const ids = all.map((e) => Number(e.id));
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  const first = await owner('GET', `/v1/programs/${program.id}/audit-log?limit=3`);
  assert.equal(first.body.data.length, 3);
  assert.ok(first.body.next_cursor);
  for (const bad of ['limit=0', 'limit=251', 'cursor=abc', 'cursor=-4']) {
    assert.equal((await owner('GET', `/v1/programs/${program.id}/audit-log?${bad}`)).status, 422, bad);
  }
  // Another program's log is its own.
  const other = await createProgram(worker);
  assert.deepEqual(actions(await auditLog(other.program.id)), ['api_key.created', 'program.created']);
});

test('the audit log is the owner\'s only: an API key gets 401', async () => {
  const { program, api } = await createProgram(worker);
  assert.equal((await api('GET', `/v1/programs/${program.id}/audit-log`)).status, 401);
  assert.equal((await api('GET', '/v1/audit-log')).status, 404);
  assert.equal((await client(worker.url, null)('GET', `/v1/programs/${program.id}/audit-log`)).status, 401);
  const ui = await dashboard();
  assert.equal((await ui('GET', `/v1/programs/${program.id}/audit-log`)).status, 200);
});

test('the scheduled run writes one summary row per program for the rewards it approves, and prunes entries past 400 days', async () => {
  const { program, api } = await createProgram(worker, { rewards: { referrer: { type: 'fixed', amount: 100, on: 'signup' }, friend: null, hold_days: 1 } });
  await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' });
  for (const k of ['b1', 'b2', 'b3']) await api('POST', '/v1/customers', { key: k, email: `${k}@example.com`, referring_customer: { key: 'ann' } });
  await worker.sql(`UPDATE rewards SET available_at = 0 WHERE program_id = '${program.id}'`);

  const day = 86_400_000;
  const now = Date.now();
  await worker.sql(`INSERT INTO audit_log (program_id, actor, action, target_type, target_id, diff, created_at) VALUES
    ('${program.id}', 'admin', 'program.updated', 'program', '${program.id}', '{}', ${now - 401 * day}),
    ('${program.id}', 'admin', 'program.updated', 'program', 'kept', '{}', ${now - 399 * day})`);
  await runCron(worker);

  const log = await auditLog(program.id);
  const summaries = log.filter((e) => e.action === 'reward.auto_approved');
  assert.equal(summaries.length, 1, 'one row for the whole run, not one per reward');
  assert.deepEqual(summaries[0].actor, { type: 'system' });
  assert.deepEqual(summaries[0].diff, { status: { from: 'pending', to: 'approved' }, count: { to: 3 } });
  assert.equal((await api('GET', '/v1/rewards?status=approved')).body.data.length, 3);
  const updated = log.filter((e) => e.action === 'program.updated').map((e) => e.target.id);
  assert.deepEqual(updated, ['kept'], 'the 401-day-old entry is gone, the 399-day-old one stays');
});
