// Visit ingest through the Cloudflare Queue (simulated by wrangler dev):
// every accepted beacon lands in D1 exactly once, even when the consumer fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, client, eventually, recountStats, ingestDrained, ADMIN_TOKEN } from './harness.mjs';

let worker, program, api;

before(async () => {
  worker = await startWorker({ vars: { INGEST_FAULTS: 'on' } });
  const owner = client(worker.url, ADMIN_TOKEN);
  program = (await owner('POST', '/v1/programs', { name: 'Shop', website_url: 'https://shop.example/' })).body;
  const key = (await owner('POST', `/v1/programs/${program.id}/api-keys`, { name: 'k' })).body.key;
  api = client(worker.url, key);
});
after(() => worker?.stop());

async function beacon(code, url, { ip = '10.0.0.1', ua = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36' } = {}) {
  const r = await fetch(`${worker.url}/t/visit`, {
    method: 'POST',
    // wrangler dev passes CF-Connecting-IP through, so each test client can be its own visitor.
    headers: { 'content-type': 'text/plain', origin: 'https://shop.example', 'cf-connecting-ip': ip, 'user-agent': ua },
    body: JSON.stringify({ program: program.public_id, code, url, referrer: '' }),
  });
  const text = await r.text();
  try {
    return { status: r.status, body: JSON.parse(text) };
  } catch {
    throw new Error(`${r.status} ${text}\n--- wrangler dev log ---\n${worker.log().slice(-4000)}`);
  }
}

async function countFor(referrer) {
  const [row] = await worker.sql(`SELECT COUNT(*) AS n FROM visits WHERE program_id = '${program.id}' AND referrer_key = '${referrer}'`);
  return row.n;
}

test('a consumer failure mid-batch is retried without duplicates', async () => {
  const bob = (await api('POST', '/v1/customers', { key: 'bob', email: 'bob@example.com' })).body;
  const n = 40;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => beacon(bob.referral_code, `https://shop.example/?i=${i}#edgeref-fault-once`, { ip: '10.2.0.1' })));
  assert.ok(results.every((r) => r.status === 202 && r.body.valid));
  await eventually(async () => (await countFor('bob')) === n, 60_000);
  assert.match(worker.log(), /injected consumer fault/, 'the fault really fired');
  const stats = await api('GET', '/v1/customers/bob/stats');
  assert.equal(stats.body.visits, n);
  const [counter] = await worker.sql(`SELECT SUM(visits) AS n FROM visit_counts WHERE referrer_key = 'bob' AND program_id = '${program.id}'`);
  assert.equal(counter.n, n, 'the half written before the fault was not counted twice');
  const programStats = await client(worker.url, ADMIN_TOKEN)('GET', `/v1/programs/${program.id}/stats`);
  assert.deepEqual(programStats.body.totals, await recountStats(worker, program.id), 'program stats agree with the rows');
});

test('a batch that keeps failing ends in the dead-letter queue, visible to the owner', async () => {
  const carol = (await api('POST', '/v1/customers', { key: 'carol', email: 'carol@example.com' })).body;
  const results = await Promise.all([0, 1, 2].map((i) => beacon(carol.referral_code, `https://shop.example/?d=${i}#edgeref-fault-always`, { ip: '10.3.0.1' })));
  const ids = results.map((r) => r.body.visit_id).sort();
  const owner = client(worker.url, ADMIN_TOKEN);
  const report = await eventually(async () => {
    const r = await owner('GET', `/v1/programs/${program.id}/ingest`);
    return r.body.dead_visits === 3 && r.body;
  }, 60_000);
  assert.deepEqual(report.recent_dead.map((v) => v.id).sort(), ids);
  assert.equal(await countFor('carol'), 0, 'none of them reached visits');
});

test('invalid codes are refused without touching the queue or D1', async () => {
  const r = await beacon('no-such-code', 'https://shop.example/');
  assert.deepEqual(r.body, { visit_id: null, valid: false });
  // Once a visit sent after it has gone through the queue into D1, the refused one would have too.
  const frank = (await api('POST', '/v1/customers', { key: 'frank', email: 'frank@example.com' })).body;
  await ingestDrained(worker, program, frank.referral_code);
  const [row] = await worker.sql(`SELECT COUNT(*) AS n FROM visits WHERE program_id = '${program.id}' AND code = 'no-such-code'`);
  assert.equal(row.n, 0, 'nothing stored for the unknown code');
  const forged = await fetch(`${worker.url}/t/visit`, { method: 'POST', headers: { origin: 'https://evil.example' }, body: JSON.stringify({ program: program.public_id, code: 'x', url: '', referrer: '' }) });
  assert.equal(forged.status, 403);
  assert.equal(forged.headers.get('access-control-allow-origin'), null);
});

test('a burst from one visitor is rate limited with a clear 429; others are not', async () => {
  const dave = (await api('POST', '/v1/customers', { key: 'dave', email: 'dave@example.com' })).body;
  const statuses = [];
  for (let i = 0; i < 70; i++) statuses.push((await beacon(dave.referral_code, 'https://shop.example/', { ip: '10.9.9.9' })).status);
  assert.equal(statuses.filter((s) => s === 202).length, 60);
  assert.equal(statuses.filter((s) => s === 429).length, 10);
  const limited = await fetch(`${worker.url}/t/visit`, { method: 'POST', headers: { 'cf-connecting-ip': '10.9.9.9' }, body: JSON.stringify({ program: program.public_id, code: dave.referral_code, url: '', referrer: '' }) });
  assert.equal(limited.status, 429);
  assert.equal((await limited.json()).error.code, 'rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  assert.equal((await beacon(dave.referral_code, 'https://shop.example/', { ip: '10.9.9.10' })).status, 202, 'another visitor is unaffected');
});

test('bot visits are stored, flagged and excluded from stats', async () => {
  const erin = (await api('POST', '/v1/customers', { key: 'erin', email: 'erin@example.com' })).body;
  await beacon(erin.referral_code, 'https://shop.example/human', { ip: '10.4.0.1' });
  for (const ua of ['Mozilla/5.0 (compatible; Googlebot/2.1)', 'facebookexternalhit/1.1', 'curl/8.5.0']) {
    assert.equal((await beacon(erin.referral_code, 'https://shop.example/bot', { ip: '10.4.0.2', ua })).status, 202);
  }
  await eventually(async () => (await countFor('erin')) === 4, 30_000);
  const [flagged] = await worker.sql(`SELECT COUNT(*) AS n FROM visits WHERE referrer_key = 'erin' AND bot = 1`);
  assert.equal(flagged.n, 3);
  assert.equal((await api('GET', '/v1/customers/erin/stats')).body.visits, 1, 'only the person counts');
});

test('a burst of concurrent beacons lands exactly once each', async () => {
  const alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com' })).body;
  const total = 2000;
  const ids = new Set();
  let next = 0;
  // 50 concurrent visitors share the burst, each below the per-visitor rate limit.
  await Promise.all(Array.from({ length: 50 }, async (_, client) => {
    while (next < total) {
      const i = next++;
      const r = await beacon(alice.referral_code, `https://shop.example/p/${i}`, { ip: `10.1.0.${client}` });
      assert.equal(r.status, 202);
      assert.equal(r.body.valid, true);
      ids.add(r.body.visit_id);
    }
  }));
  assert.equal(ids.size, total);
  await eventually(async () => (await countFor('alice')) === total, 60_000);
  const [distinct] = await worker.sql(`SELECT COUNT(DISTINCT id) AS n FROM visits WHERE referrer_key = 'alice' AND program_id = '${program.id}'`);
  assert.equal(distinct.n, total, '0 lost, 0 duplicated');
  const stats = await api('GET', '/v1/customers/alice/stats');
  assert.equal(stats.body.visits, total, 'the pre-aggregated counter agrees with the rows');
});
