// End-to-end harness: the real Worker in `wrangler dev` (workerd with local D1
// and KV, fresh state per suite), headless Chromium from Debian, and a merchant
// page on a different origin. Nothing here is mocked.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import net from 'node:net';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wranglerBin = join(root, 'node_modules', '.bin', 'wrangler');
const run = promisify(execFile);
// Tests never edit the config while a Worker runs: no watcher that could reload it mid-test.
const baseEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', WRANGLER_CI_DISABLE_CONFIG_WATCHING: 'true' };

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One `wrangler dev` on fresh ports; resolves once it answers `/health`, throws if it exits first. */
async function launch(config, state, env, vars) {
  const port = await freePort();
  // Several Workers may run at once (tests, the benchmark): each needs its own inspector port.
  const inspector = await freePort();
  const child = spawn(
    wranglerBin,
    ['dev', '-c', config, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', state, '--show-interactive-dev-session=false', '--test-scheduled',
      '--var', `ADMIN_TOKEN:${ADMIN_TOKEN}`, '--var', 'ALLOW_LOCALHOST_ORIGINS:true',
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let log = '';
  const record = (d) => {
    log += d;
    // A reload of the local runtime fails requests in flight: say so where CI shows it.
    if (/Reloading local server|Connection status updated|restarted/.test(d)) process.stderr.write(`[wrangler dev :${port} ${new Date().toISOString()}] ${d}`);
  };
  child.stdout.on('data', record);
  child.stderr.on('data', record);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      // Its runtime may outlive it: nothing of a failed start stays behind.
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      throw new Error(`wrangler dev exited:\n${log}`);
    }
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      throw new Error(`wrangler dev did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url, log: () => log };
}

/**
 * Starts `wrangler dev` on a fresh local D1/KV; resolves once it answers.
 * `vars` adds Worker vars; `config` picks another wrangler.toml; a given
 * `state` directory is reused and kept (the benchmark caches its data set).
 * `env` adds environment variables for wrangler (e.g. a private
 * WRANGLER_REGISTRY_PATH, so service bindings find only this test's Workers);
 * `migrate: false` for a Worker without D1.
 */
export async function startWorker({ vars = {}, config = 'wrangler.toml', state: keep, env: extraEnv = {}, migrate = true } = {}) {
  const state = keep ?? (await mkdtemp(join(tmpdir(), 'edgeref-state-')));
  const env = { ...baseEnv, ...extraEnv };
  if (migrate) await run(wranglerBin, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state, '-c', config], { cwd: root, env });
  // A port found free can be taken before wrangler binds it (its own runtime picks ports too):
  // that start fails at once with "Address already in use", and is made again on fresh ports.
  let started;
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await launch(config, state, env, vars);
    } catch (e) {
      if (attempt >= 3 || !/Address already in use|EADDRINUSE/.test(e.message)) throw e;
    }
  }
  const { child, url, log: read } = started;
  return {
    url,
    state,
    /** wrangler's process id (what `make dev` hands the cron ticker). */
    pid: child.pid,
    log: read,
    /** Runs SQL against the same local D1 the Worker uses. */
    async sql(query) {
      // A second process on the Worker's SQLite file: while the Worker writes, the file can be
      // locked (SQLITE_BUSY). That is transient, so try again a few times; anything else fails.
      for (let attempt = 1; ; attempt++) {
        try {
          const { stdout } = await run(wranglerBin, ['d1', 'execute', 'DB', '--local', '--persist-to', state, '-c', config, '--json', '--command', query], { cwd: root, env, maxBuffer: 64 << 20 });
          return JSON.parse(stdout)[0].results;
        } catch (e) {
          // wrangler may report the failure on stdout (as JSON) rather than stderr: read both.
          const said = `${e.message}\n${e.stdout ?? ''}`;
          if (attempt >= 10 || !/SQLITE_BUSY|database is locked/.test(said)) throw new Error(said);
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    },
    async stop() {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      // wrangler exits before its workerd: wait until the whole group is gone, so a
      // Worker restarted on the same state never shares the SQLite files with the old one.
      for (let i = 0; i < 100 && groupAlive(child.pid); i++) await new Promise((r) => setTimeout(r, 50));
      if (!keep) await rm(state, { recursive: true, force: true });
    },
  };
}

function groupAlive(pid) {
  try { process.kill(-pid, 0); return true; } catch { return false; }
}

/**
 * A program's 30-day stats totals recounted from the raw rows, the way the
 * pre-aggregated counters (`program_days`) must agree with them.
 */
export async function recountStats(worker, programId) {
  const since = (Math.floor(Date.now() / 86_400_000) - 29) * 86_400_000;
  const where = `program_id = '${programId}' AND created_at >= ${since}`;
  const sales = `FROM transactions WHERE ${where} AND referrer_key IS NOT NULL`;
  const [row] = await worker.sql(`SELECT
    (SELECT COUNT(*) FROM visits WHERE ${where} AND bot = 0) AS visits,
    (SELECT COUNT(*) FROM customers WHERE ${where} AND referred_by IS NOT NULL) AS signups,
    (SELECT COALESCE(SUM(refunded < amount), 0) ${sales}) AS conversions,
    (SELECT COALESCE(SUM(amount - refunded), 0) ${sales}) AS revenue,
    (SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE ${where} AND kind IN ('reward', 'reversal', 'refund')) AS rewards`);
  return row;
}

/** JSON over HTTP with a bearer token; returns {status, body, headers}. */
export function client(base, token) {
  return async (method, path, body, extraHeaders = {}) => {
    const headers = { ...extraHeaders };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    // Redirects are answers to check (`/r/{code}`), not to follow.
    const r = await fetch(base + path, { method, headers, redirect: 'manual', body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await r.text();
    let parsed;
    try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
    return { status: r.status, body: parsed, headers: r.headers };
  };
}

/** A merchant site on `http://localhost:PORT` (a different origin from the Worker on 127.0.0.1). */
export async function startMerchantSite() {
  const pages = new Map();
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://localhost').pathname;
    const page = pages.get(path) ?? pages.get('*');
    if (!page) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...(page.headers ?? {}) }).end(page.html);
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  server.unref();
  return {
    origin: `http://localhost:${port}`,
    /** Serves `html` at `path` ('*' for every path, as an SPA would). */
    page(path, html, headers) { pages.set(path, { html, headers }); },
    stop: () => new Promise((r) => server.close(r)),
  };
}

export function merchantPage(snippetTag, body = '', head = '') {
  return `<!doctype html><html><head><meta charset="utf-8">${head}
<script>window.edgeref=window.edgeref||function(){(edgeref.q=edgeref.q||[]).push(arguments)}</script>
${snippetTag}</head><body>${body}</body></html>`;
}

/** What a person's Chrome sends; headless Chromium's own UA says "HeadlessChrome", which Edgeref counts as a bot. */
export const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/**
 * Headless Debian Chromium through playwright-core (no browser download); contexts browse as a person's Chrome.
 * `hosts` maps more made-up host patterns (`*.co.uk`) to 127.0.0.1, so cookie domains under real public suffixes are real.
 */
export async function launchBrowser({ hosts = [] } = {}) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // Merchant sites under a real-looking domain (www.shop.test) for the cookie-domain tests.
      `--host-resolver-rules=${['*.shop.test', ...hosts].map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`],
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = (options = {}) => newContext({ userAgent: DESKTOP_UA, ...options });
  return browser;
}

/**
 * A fresh browser profile on the dashboard's sign-in page: {context, page, problems}, where
 * `problems` collects page errors, console errors (but Chromium's own "Failed to load resource"
 * for the 401s and 422s the tests provoke) and any dialog but the dashboard's own "are you sure?".
 */
export async function openDashboard(browser, worker, contextOptions = {}) {
  // Amounts are formatted in the reader's locale: fix it so the assertions and screenshots hold anywhere.
  const context = await browser.newContext({ viewport: { width: 1024, height: 720 }, locale: 'en-US', ...contextOptions });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text()); });
  page.on('dialog', (d) => {
    if (d.type() === 'confirm') d.accept();
    else { problems.push(`${d.type()} dialog: ${d.message()}`); d.dismiss(); }
  });
  await page.goto(`${worker.url}/`);
  return { context, page, problems };
}

/** Signs the dashboard in with the admin token and waits for the program list. */
export async function signIn(page) {
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Programs', level: 1 }).waitFor();
}

/** A Chromium page signed in to the dashboard as the owner: {context, page, problems}, as `openDashboard`. */
export async function signedInDashboard(browser, worker, contextOptions = {}) {
  const opened = await openDashboard(browser, worker, contextOptions);
  await signIn(opened.page);
  return opened;
}

/** Creates a program (with `fields` over the defaults) and an API key: {program, key, api}. */
export async function createProgram(worker, fields = {}) {
  const owner = client(worker.url, ADMIN_TOKEN);
  // EUR: the currency most tests' sales are in (a program takes sales in its currency only).
  const program = await owner('POST', '/v1/programs', { name: 'Shop', website_url: 'https://shop.example/', currency: 'EUR', ...fields });
  if (program.status !== 201) throw new Error(`program: ${JSON.stringify(program.body)}`);
  const key = await owner('POST', `/v1/programs/${program.body.id}/api-keys`, { name: 'backend' });
  if (key.status !== 201) throw new Error(`api key: ${JSON.stringify(key.body)}`);
  return { program: program.body, key: key.body, api: client(worker.url, key.body.key) };
}

/** Creates a program (site = merchant origin), an API key and a referring customer. */
export async function seedProgram(worker, siteOrigin, tracking) {
  const owner = client(worker.url, ADMIN_TOKEN);
  const program = await owner('POST', '/v1/programs', { name: 'Test shop', website_url: `${siteOrigin}/`, ...(tracking ? { tracking } : {}) });
  if (program.status !== 201) throw new Error(`program: ${JSON.stringify(program.body)}`);
  const key = await owner('POST', `/v1/programs/${program.body.id}/api-keys`, { name: 'backend' });
  if (key.status !== 201) throw new Error(`api key: ${JSON.stringify(key.body)}`);
  const api = client(worker.url, key.body.key);
  const alice = await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com', name: 'Alice' });
  if (alice.status !== 201) throw new Error(`customer: ${JSON.stringify(alice.body)}`);
  return { owner, api, program: program.body, apiKey: key.body, alice: alice.body };
}

/**
 * A webhook receiver on 127.0.0.1 (a stand-in for the merchant's endpoint):
 * records every request with its raw body; `respond` decides each answer.
 */
export async function startReceiver(port) {
  const requests = [];
  const waiters = [];
  let respond = () => ({ status: 200, body: 'ok' });
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(entry);
      const answer = await respond(entry, requests.length);
      const settle = () => { for (const w of [...waiters]) if (w.check()) waiters.splice(waiters.indexOf(w), 1); };
      if (answer.hang) return settle(); // never answers: the sender's timeout must fire
      res.writeHead(answer.status, answer.headers ?? { 'content-type': 'text/plain' }).end(answer.body ?? '', settle);
    });
  });
  port = port ?? (await freePort());
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  server.unref(); // a failed test must not leave the run hanging on it
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setResponder(fn) { respond = fn; },
    /** Resolves when `predicate(requests)` holds; rejects after `ms`. */
    waitUntil(predicate, ms = 15_000) {
      if (predicate(requests)) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver: condition not met, ${requests.length} requests`)), ms);
        waiters.push({ check: () => predicate(requests) && (clearTimeout(timer), resolve(requests), true) });
      });
    },
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

/**
 * Runs the Worker's cron trigger once, through wrangler's scheduled-test
 * endpoint (`--test-scheduled`). (wrangler 4.86's `/cdn-cgi/handler/scheduled`
 * fails on worker-build's entrypoint class with a DataCloneError.)
 */
export async function runCron(worker) {
  const r = await fetch(`${worker.url}/__scheduled?cron=*/5+*+*+*+*`);
  if (!r.ok) throw new Error(`cron: ${r.status}`);
}

/**
 * Resolves once the visit ingest queue has written what was sent before this call:
 * a fresh visit beacon for `code` (a referral code of `program`) has reached D1.
 * Lets a test assert that something queued earlier did *not* land.
 */
export async function ingestDrained(worker, program, code) {
  const body = JSON.stringify({ program: program.public_id, code, url: `https://drain.example/${Date.now()}`, referrer: '' });
  const r = await fetch(`${worker.url}/t/visit`, { method: 'POST', headers: { 'content-type': 'text/plain', 'user-agent': DESKTOP_UA, 'cf-connecting-ip': '10.254.0.1' }, body });
  const { visit_id: id } = await r.json();
  if (!id) throw new Error(`drain beacon refused: ${r.status}`);
  await eventually(async () => (await worker.sql(`SELECT id FROM visits WHERE id = '${id}'`)).length, 30_000);
}

/** Polls `fn` until it returns a truthy value (for effects that happen after a response). */
export async function eventually(fn, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('eventually: condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
