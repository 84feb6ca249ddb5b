// The reward lifecycle end to end against the real Worker: one currency per
// program, holds approved by the scheduled run, manual review, refunds at every
// stage, fraud flags, payouts (also racing ones), and the currency migration
// on a database that still holds the old shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startWorker, createProgram, startReceiver, client, runCron, ADMIN_TOKEN } from './harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let worker, owner;

before(async () => { worker = await startWorker(); owner = client(worker.url, ADMIN_TOKEN); });
after(() => worker?.stop());

/** A program with a referrer `ann` and her referred friend `bob`. */
async function referral(fields = {}, friendEmail = 'bob@example.com') {
  const p = await createProgram(worker, fields);
  assert.equal((await p.api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' })).status, 201);
  const bob = await p.api('POST', '/v1/customers', { key: 'bob', email: friendEmail, referring_customer: { key: 'ann' } });
  assert.equal(bob.status, 201, JSON.stringify(bob.body));
  return p;
}

const sale = (api, key, amount, currency = 'EUR') => api('POST', '/v1/transactions', { key, customer: { key: 'bob' }, amount, currency });
const customer = async (api, key) => (await api('GET', `/v1/customers/${key}`)).body;
const rewards = async (api, query = '') => (await api('GET', `/v1/rewards${query}`)).body.data;
/** Makes every held reward due, then runs the cron as Cloudflare would. */
async function holdEnds() {
  await worker.sql(`UPDATE rewards SET available_at = 0 WHERE status = 'pending'`);
  await runCron(worker);
}

test('currency: one per program, ISO codes only, fixed once money is recorded; another currency is refused', async () => {
  const { program, api } = await referral({ currency: 'jpy' });
  assert.equal(program.currency, 'JPY');
  const plain = await owner('POST', '/v1/programs', { name: 'Plain', website_url: 'https://plain.example/' });
  assert.equal(plain.body.currency, 'USD', 'the default');
  const bad = await owner('POST', '/v1/programs', { name: 'X', website_url: 'https://x.example/', currency: 'XYZ' });
  assert.deepEqual([bad.status, bad.body.error.field], [422, 'currency']);
  assert.equal((await owner('PATCH', `/v1/programs/${program.id}`, { currency: 'EUR' })).status, 200, 'changeable before any transaction');
  assert.equal((await owner('PATCH', `/v1/programs/${program.id}`, { currency: 'JPY' })).status, 200);
  const held = await owner('PATCH', `/v1/programs/${program.id}`, { rewards: { hold_days: 3 } });
  assert.deepEqual([held.body.rewards.hold_days, held.body.rewards.referrer], [3, { type: 'percent', percent: 10 }], 'a rewards patch keeps what it leaves out');
  await owner('PATCH', `/v1/programs/${program.id}`, { rewards: { hold_days: 0 } });
  const mismatch = await sale(api, 'o1', 10000, 'EUR');
  assert.deepEqual([mismatch.status, mismatch.body.error.code, mismatch.body.error.field], [422, 'currency_mismatch', 'currency']);
  assert.equal((await sale(api, 'o2', 10000, 'JPY')).status, 201);
  const locked = await owner('PATCH', `/v1/programs/${program.id}`, { currency: 'USD' });
  assert.deepEqual([locked.status, locked.body.error.field], [409, 'currency']);
  const [r] = await rewards(api);
  assert.deepEqual([r.currency, r.amount, r.status], ['JPY', 1000, 'approved']);
  assert.equal((await customer(api, 'ann')).balance, 1000, 'no hold, automatic approval: owed at once');
});

test('a held reward is pending until the scheduled run approves it, with its event', async () => {
  const receiver = await startReceiver();
  const { api } = await referral({ rewards: { referrer: { type: 'percent', percent: 10 }, friend: null, hold_days: 30 } });
  await api('POST', '/v1/webhooks', { name: 'r', url: receiver.url, events: ['reward.created', 'reward.approved'] });
  assert.equal((await sale(api, 'o1', 5000)).status, 201);
  const [held] = await rewards(api);
  assert.equal(held.status, 'pending');
  assert.ok(Date.parse(held.available_at) - Date.parse(held.created_at) === 30 * 86_400_000);
  let ann = await customer(api, 'ann');
  assert.deepEqual([ann.balance, ann.pending_balance], [0, 500]);
  await runCron(worker);
  assert.equal((await rewards(api))[0].status, 'pending', 'still held: the run approves nothing early');
  await holdEnds();
  const [approved] = await rewards(api);
  assert.equal(approved.status, 'approved');
  ann = await customer(api, 'ann');
  assert.deepEqual([ann.balance, ann.pending_balance], [500, 0]);
  await receiver.waitUntil((rs) => rs.some((r) => JSON.parse(r.body).type === 'reward.approved'));
  const event = receiver.requests.map((r) => JSON.parse(r.body)).find((e) => e.type === 'reward.approved');
  assert.deepEqual(event.data, approved, 'the event carries the reward exactly as the API shows it');
  await receiver.stop();
});

test('refunds: cancelled during the hold, taken back once approved, a negative adjustment once paid', async () => {
  const held = await referral({ rewards: { referrer: { type: 'percent', percent: 10 }, friend: null, hold_days: 7 } });
  await sale(held.api, 'o1', 1000);
  assert.equal((await held.api('DELETE', '/v1/transactions/o1')).status, 200);
  const [cancelled] = await rewards(held.api);
  assert.deepEqual([cancelled.status, cancelled.amount], ['reversed', 0]);
  await holdEnds();
  assert.deepEqual(await customer(held.api, 'ann').then((c) => [c.balance, c.pending_balance]), [0, 0], 'nothing reached the balance');

  const { api } = await referral();
  await sale(api, 'o1', 1000);
  await sale(api, 'o2', 3000);
  assert.equal((await customer(api, 'ann')).balance, 400);
  assert.equal((await api('DELETE', '/v1/transactions/o1')).status, 200, 'approved and unpaid: reversed');
  assert.equal((await customer(api, 'ann')).balance, 300);
  const payout = await api('POST', '/v1/payouts', { customer: { key: 'ann' }, reference: 'bank-1' });
  assert.equal(payout.status, 201, JSON.stringify(payout.body));
  assert.equal(payout.body.amount, 300);
  assert.equal((await api('DELETE', '/v1/transactions/o2')).status, 200, 'paid: recorded as an adjustment');
  const ann = await customer(api, 'ann');
  assert.deepEqual([ann.balance, ann.paid_total], [-300, 300], 'the next payout nets the adjustment out');
  assert.equal((await rewards(api, '?status=paid'))[0].id, payout.body.reward_ids[0], 'a paid reward stays paid');
  await sale(api, 'o3', 5000);
  const next = await api('POST', '/v1/payouts', { customer: { key: 'ann' } });
  assert.equal(next.body.amount, 200, '500 earned less the 300 adjustment');
});

test('manual approval: approve and reject only from pending; unknown rewards are 404', async () => {
  const receiver = await startReceiver();
  const { api, program } = await referral({ rewards: { referrer: { type: 'percent', percent: 10 }, friend: { type: 'percent', percent: 5 }, approval: 'manual' } });
  await api('POST', '/v1/webhooks', { name: 'r', url: receiver.url, events: ['reward.approved', 'reward.rejected'] });
  await sale(api, 'o1', 2000);
  const queue = await rewards(api, '?status=pending');
  assert.deepEqual(queue.map((r) => [r.kind, r.customer.key, r.amount, r.referred_customer.key]).sort(), [['friend', 'bob', 100, 'bob'], ['referrer', 'ann', 200, 'bob']]);
  await holdEnds();
  assert.equal((await rewards(api, '?status=pending')).length, 2, 'the scheduled run never approves a manual program');
  const referrer = queue.find((r) => r.kind === 'referrer');
  const friend = queue.find((r) => r.kind === 'friend');
  const ok = await owner('POST', `/v1/programs/${program.id}/rewards/${referrer.id}/approve`);
  assert.deepEqual([ok.status, ok.body.status], [200, 'approved']);
  assert.equal((await api('POST', `/v1/rewards/${referrer.id}/approve`)).status, 409, 'approving twice');
  assert.equal((await api('POST', `/v1/rewards/${referrer.id}/reject`, { reason: 'late' })).status, 409, 'rejecting an approved reward');
  const rejected = await api('POST', `/v1/rewards/${friend.id}/reject`, { reason: 'test order' });
  assert.deepEqual([rejected.status, rejected.body.status, rejected.body.reason], [200, 'rejected', 'test order']);
  assert.equal((await api('POST', `/v1/rewards/${friend.id}/reject`, {})).status, 422, 'a reason is required');
  assert.equal((await api('POST', '/v1/rewards/rwd_nope/approve')).status, 404);
  assert.deepEqual([(await customer(api, 'ann')).balance, (await customer(api, 'bob')).balance], [200, 0]);
  await receiver.waitUntil((rs) => rs.length >= 2);
  assert.deepEqual(receiver.requests.map((r) => JSON.parse(r.body).type).sort(), ['reward.approved', 'reward.rejected']);
  await receiver.stop();
});

test('fraud flags: disposable, lookalike, same visitor and velocity rewards wait for review', async () => {
  const disposable = await referral({}, 'bob@mailinator.com');
  await sale(disposable.api, 'o1', 1000);
  const [d] = await rewards(disposable.api, '?flagged=true');
  assert.deepEqual([d.status, d.flags], ['pending', ['disposable_email']]);
  await holdEnds();
  assert.equal((await rewards(disposable.api, '?flagged=true'))[0].status, 'pending', 'flagged rewards never auto-approve');
  assert.equal((await rewards(disposable.api, '?flagged=false')).length, 0);

  const lookalike = await referral({}, 'ann+shop@example.com');
  await sale(lookalike.api, 'o1', 1000);
  assert.deepEqual((await rewards(lookalike.api))[0].flags, ['lookalike_email']);
  const self = await lookalike.api('POST', '/v1/customers', { key: 'eve', email: 'ANN@example.com', referring_customer: { key: 'ann' } });
  assert.equal(self.status, 422, 'the same address stays a refused self-referral');

  const { program, api } = await createProgram(worker, { rewards: { referrer: { type: 'fixed', amount: 300, on: 'signup' }, friend: null, max_per_referrer_per_day: 1 } });
  const beacon = (body, ip) => client(worker.url)('POST', '/t/signup', JSON.stringify({ program: program.public_id, ...body }), { 'content-type': 'text/plain', 'cf-connecting-ip': ip });
  await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' });
  const ann = await customer(api, 'ann');
  // Ann's own tracked signup record: through someone's link, from her network.
  await api('POST', '/v1/customers', { key: 'zed', email: 'zed@example.com' });
  const zed = await customer(api, 'zed');
  assert.equal((await beacon({ code: zed.referral_code, customer: { key: 'ann2', email: 'ann2@example.com' } }, '10.9.9.9')).body.attributed, true);
  assert.equal((await beacon({ code: (await customer(api, 'ann2')).referral_code, customer: { key: 'mal', email: 'mal@example.com' } }, '10.9.9.9')).body.attributed, true);
  const mal = await rewards(api, '?customer=ann2');
  assert.deepEqual(mal.map((r) => r.flags), [['same_visitor']], 'same network as the referrer’s own signup');
  const first = await beacon({ code: ann.referral_code, customer: { key: 'f1', email: 'f1@example.com' } }, '10.1.0.1');
  const second = await beacon({ code: ann.referral_code, customer: { key: 'f2', email: 'f2@example.com' } }, '10.1.0.2');
  assert.ok(first.body.attributed && second.body.attributed);
  const mine = await rewards(api, '?customer=ann');
  assert.deepEqual(mine.map((r) => r.flags), [[], ['velocity']], 'the second reward of the day is over the limit');
  assert.deepEqual(mine.map((r) => r.status), ['approved', 'pending']);
});

test('payouts: oldest first, never above the balance, and racing payouts pay it once', async () => {
  const { api, program } = await referral();
  const empty = await api('POST', '/v1/payouts', { customer: { key: 'ann' } });
  assert.deepEqual([empty.status, empty.body.error.field], [422, 'customer']);
  for (const [k, amount] of [['o1', 1000], ['o2', 2500], ['o3', 500]]) await sale(api, k, amount);
  assert.equal((await customer(api, 'ann')).balance, 400);
  for (const amount of [0, -1, 401]) {
    const r = await api('POST', '/v1/payouts', { customer: { key: 'ann' }, amount });
    assert.deepEqual([r.status, r.body.error.field], [422, 'amount'], `amount ${amount}`);
  }
  const part = await api('POST', '/v1/payouts', { customer: { key: 'ann' }, amount: 360, note: 'Nov' });
  assert.equal(part.status, 201);
  const byAge = (await rewards(api, '?customer=ann')).map((r) => r.id);
  assert.deepEqual(part.body.reward_ids, byAge.slice(0, 2), 'the two oldest are covered in full, the third stays approved');
  await api('POST', '/v1/customers/bob/credit', { amount: 50, note: 'goodwill' });
  assert.deepEqual((await api('GET', '/v1/payables')).body.data.map((p) => [p.customer.key, p.balance]), [['ann', 40]], 'a balance from credits alone is no payable');
  await sale(api, 'o4', 10000);
  const balance = (await customer(api, 'ann')).balance;
  const race = await Promise.all(Array.from({ length: 8 }, () => api('POST', '/v1/payouts', { customer: { key: 'ann' }, amount: balance })));
  const paid = race.filter((r) => r.status === 201);
  assert.equal(paid.length, 1, `exactly one payout wins: ${race.map((r) => r.status)}`);
  assert.ok(race.every((r) => [201, 409, 422, 503].includes(r.status)), race.map((r) => r.status).join());
  const after = await customer(api, 'ann');
  assert.deepEqual([after.balance, after.paid_total], [0, 360 + balance]);
  const [ledger] = await worker.sql(`SELECT SUM(amount) AS sum FROM ledger WHERE customer_key = 'ann' AND program_id = '${program.id}'`);
  assert.equal(ledger.sum, 0, 'the balance is the ledger’s sum');
  assert.equal((await api('GET', '/v1/payouts')).body.data.length, 2);
});

test('the currency migration keeps every row of a database in the old shape and reports mixed programs', async () => {
  const state = await mkdtemp(join(tmpdir(), 'edgeref-migrate-'));
  const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
  const exec = (args) => promisify(execFile)(wrangler, ['d1', 'execute', 'DB', '--local', '--persist-to', state, '--json', ...args], { cwd: root });
  const sql = async (command) => JSON.parse((await exec(['--command', command])).stdout)[0].results;
  const migrations = (await readdir(join(root, 'edge', 'migrations'))).filter((f) => f.endsWith('.sql')).sort();
  const rewardsMigration = migrations.findIndex((f) => f.includes('rewards'));
  for (const f of migrations.slice(0, rewardsMigration)) await exec(['--file', join(root, 'edge', 'migrations', f)]);
  await sql(`INSERT INTO programs (id, public_id, name, website_url, tracking, rewards, created_at) VALUES
    ('prg_j', 'pj', 'Yen shop', 'https://j.example/', '{}', '{"referrer":{"type":"percent","percent":10},"friend":null}', 1),
    ('prg_m', 'pm', 'Mixed', 'https://m.example/', '{}', '{"referrer":{"type":"percent","percent":10},"friend":null}', 1),
    ('prg_e', 'pe', 'Empty', 'https://e.example/', '{}', '{"referrer":{"type":"percent","percent":10},"friend":null}', 1)`);
  await sql(`INSERT INTO transactions (program_id, key, customer_key, referrer_key, amount, currency, reward, friend_reward, request_hash, created_at) VALUES
    ('prg_j', 't1', 'b', 'a', 10000, 'JPY', 1000, 0, 'h', 1), ('prg_m', 't1', 'b', 'a', 100, 'USD', 10, 0, 'h', 1),
    ('prg_m', 't2', 'b', 'a', 10000, 'JPY', 1000, 0, 'h', 2), ('prg_m', 't3', 'b', 'a', 200, 'USD', 20, 0, 'h', 3)`);
  await sql(`INSERT INTO ledger (program_id, customer_key, amount, kind, transaction_key, note, created_at) VALUES
    ('prg_j', 'a', 1000, 'reward', 't1', NULL, 1), ('prg_m', 'a', 10, 'reward', 't1', NULL, 1), ('prg_m', 'a', 1000, 'reward', 't2', NULL, 2)`);
  for (const f of migrations.slice(rewardsMigration)) await exec(['--file', join(root, 'edge', 'migrations', f)]);
  assert.deepEqual((await sql('SELECT id, currency FROM programs ORDER BY id')).map((p) => [p.id, p.currency]), [['prg_e', 'USD'], ['prg_j', 'JPY'], ['prg_m', 'USD']]);
  assert.deepEqual((await sql('SELECT program_id, currencies FROM mixed_currency_programs')).map((p) => [p.program_id, p.currencies]), [['prg_m', 2]]);
  assert.equal((await sql('SELECT COUNT(*) AS n FROM transactions'))[0].n, 4, 'no transaction is lost');
  const moved = await sql(`SELECT program_id, kind, amount, status FROM rewards ORDER BY program_id, amount`);
  assert.deepEqual(moved.map((r) => [r.program_id, r.kind, r.amount, r.status]), [['prg_j', 'referrer', 1000, 'approved'], ['prg_m', 'referrer', 10, 'approved'], ['prg_m', 'referrer', 1000, 'approved']]);
  await rm(state, { recursive: true, force: true });
});
