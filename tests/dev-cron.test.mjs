// `make dev` behaves like a deployment: scripts/dev-cron.mjs fires the cron
// trigger while `wrangler dev --test-scheduled` runs, so a webhook delivery that
// failed is retried on a developer's machine without anyone calling the cron.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, createProgram, startReceiver, eventually } from './harness.mjs';
import { cronsOf, fires } from '../scripts/dev-cron.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
let worker, ticker;

before(async () => { worker = await startWorker(); });
after(async () => {
  ticker?.process.kill();
  await worker?.stop();
});

/** The ticker as `make dev` starts it, with DEV_CRON_SECONDS for a test-sized interval. */
function startTicker(seconds) {
  const child = spawn(process.execPath, [join(root, 'scripts', 'dev-cron.mjs'), '--url', worker.url, '--pid', String(worker.pid)],
    { cwd: root, env: { ...process.env, DEV_CRON_SECONDS: String(seconds) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((r) => child.once('exit', r));
  return { process: child, exited, output: () => output };
}

test('make dev starts wrangler with scheduled events on and the ticker beside it', () => {
  const recipe = /^dev:.*\n((?:\t.*\n)+)/m.exec(readFileSync(join(root, 'Makefile'), 'utf8'))[1];
  assert.match(recipe, /node scripts\/dev-cron\.mjs --url http:\/\/127\.0\.0\.1:\$\(PORT\) --pid \$\$\$\$ &/);
  assert.match(recipe, /exec wrangler dev .*--test-scheduled/);
});

test('the ticker follows the schedule in wrangler.toml', () => {
  assert.deepEqual(cronsOf(readFileSync(join(root, 'wrangler.toml'), 'utf8')), ['*/5 * * * *']);
  const at = (iso) => new Date(`2026-03-06T${iso}Z`); // a Friday
  assert.equal(fires('*/5 * * * *', at('10:05:00')), true);
  assert.equal(fires('*/5 * * * *', at('10:06:00')), false);
  assert.equal(fires('10 7 * * mon-fri', at('07:10:00')), true);
  assert.equal(fires('10 7 * * sat,sun', at('07:10:00')), false);
  assert.equal(fires('0 0 1 jan *', at('00:00:00')), false);
  assert.throws(() => fires('0 0 * * 1', at('00:00:00')), /weekday/);
});

test('a webhook that failed once is retried while the ticker runs, and only because it runs', async () => {
  const receiver = await startReceiver();
  receiver.setResponder((_req, n) => (n === 1 ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' }));
  const { api } = await createProgram(worker);
  const hook = (await api('POST', '/v1/webhooks', { name: 'Flaky', url: receiver.url, events: ['customer.created'] })).body;
  await api('POST', '/v1/customers', { key: 'c1', email: 'c1@example.com' });
  await receiver.waitUntil((r) => r.length === 1);
  const deliveries = async () => (await api('GET', `/v1/webhooks/${hook.id}/deliveries`)).body.data;
  const [failed] = await eventually(async () => { const d = await deliveries(); return d[0]?.attempts.length === 1 && d; });
  assert.equal(failed.attempts[0].response_code, 500);

  // First retry: 5 s after the failure (shared/src/webhook.rs). Past it, with nothing ticking, nothing is sent.
  await sleep(Date.parse(failed.next_attempt_at) - Date.now() + 1500);
  assert.equal(receiver.requests.length, 1, 'due, but wrangler dev alone never runs the cron');

  ticker = startTicker(1);
  await receiver.waitUntil((r) => r.length === 2, 10_000);
  assert.equal(receiver.requests[1].headers['webhook-id'], receiver.requests[0].headers['webhook-id'], 'the same message, retried');
  const [done] = await eventually(async () => { const d = await deliveries(); return d[0]?.status === 'succeeded' && d; });
  assert.deepEqual(done.attempts.map((a) => a.response_code), [500, 200]);
  assert.match(ticker.output(), /ticking \*\/5 \* \* \* \* every 1 s/);
  await receiver.stop();
});

test('the ticker stops when wrangler stops', async () => {
  ticker ??= startTicker(1);
  await worker.stop();
  worker = null;
  const code = await Promise.race([ticker.exited, sleep(5000).then(() => 'still running')]);
  assert.equal(code, 0, ticker.output());
});
