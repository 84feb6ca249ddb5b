// `make soak` (not in CI): a mixed workload against one Worker for SOAK_SECONDS
// (default 300), then the invariants: no 500s, every balance equals the sum of
// its ledger, every accepted visit stored once.
import assert from 'node:assert/strict';
import { startWorker, client, eventually, ADMIN_TOKEN } from './harness.mjs';

const seconds = Number(process.env.SOAK_SECONDS ?? 300);
const worker = await startWorker();
const statuses = {};
let accepted = 0;
try {
  const owner = client(worker.url, ADMIN_TOKEN);
  const program = (await owner('POST', '/v1/programs', { name: 'Soak', website_url: 'https://shop.example/' })).body;
  const api = client(worker.url, (await owner('POST', `/v1/programs/${program.id}/api-keys`, { name: 'k' })).body.key);
  const referrers = [];
  for (let i = 0; i < 20; i++) referrers.push((await api('POST', '/v1/customers', { key: `r${i}`, email: `r${i}@example.com` })).body);
  const deadline = Date.now() + seconds * 1000;
  let n = 0;
  const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
  const note = (r) => { statuses[r.status] = (statuses[r.status] ?? 0) + 1; return r; };
  const actions = [
    async () => note(await api('POST', '/v1/customers', { key: `f${n++}`, email: `f${n}@example.com`, referring_customer: { key: pick(referrers).key } })),
    async () => note(await api('POST', '/v1/transactions', { key: `t${Math.floor(Math.random() * 5000)}`, customer: { key: `f${Math.floor(Math.random() * n)}` }, amount: 1000, currency: 'EUR' })),
    async () => note(await api('DELETE', `/v1/transactions/t${Math.floor(Math.random() * 5000)}`)),
    async () => note(await api('POST', `/v1/customers/${pick(referrers).key}/credit`, { amount: 5 })),
    async () => {
      const r = note(await client(worker.url)('POST', '/t/visit', JSON.stringify({ program: program.public_id, code: pick(referrers).referral_code, url: 'https://shop.example/', referrer: '' }), { 'content-type': 'text/plain' }));
      if (r.status === 202) accepted++;
    },
  ];
  await Promise.all(Array.from({ length: 8 }, async () => { while (Date.now() < deadline) await pick(actions)(); }));
  assert.equal(statuses[500] ?? 0, 0, `500s: ${JSON.stringify(statuses)}`);
  const mismatched = await worker.sql(`SELECT c.key FROM customers c LEFT JOIN (SELECT customer_key, SUM(amount) s FROM ledger WHERE program_id = '${program.id}' GROUP BY customer_key) l ON l.customer_key = c.key WHERE c.program_id = '${program.id}' AND c.balance != COALESCE(l.s, 0)`);
  assert.deepEqual(mismatched, [], 'balance == sum of ledger for every customer');
  await eventually(async () => (await worker.sql(`SELECT COUNT(*) AS n FROM visits WHERE program_id = '${program.id}'`))[0].n === accepted, 60_000);
  console.log(`soak: ${seconds} s, requests by status ${JSON.stringify(statuses)}, ${accepted} visits stored exactly once, ledgers consistent`);
} finally {
  await worker.stop();
}
