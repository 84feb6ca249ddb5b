// `make bench`: what users feel, each figure beside its reference in the same
// run (these machines are noisy, so ratios matter more than absolutes).
// Prints a table and writes docs/benchmarks.md (results section).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import os from 'node:os';
import autocannon from 'autocannon';
import { startWorker, startMerchantSite, launchBrowser, merchantPage, client, eventually, ADMIN_TOKEN, DESKTOP_UA } from '../tests/harness.mjs';
import { startStripeApi } from '../tests/fixtures/stripe_api.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const results = [];
const row = (section, metric, value, reference = '', verdict = '') => {
  results.push({ section, metric, value, reference, verdict });
  console.log(`${section.padEnd(10)} ${metric.padEnd(46)} ${String(value).padEnd(22)} ${String(reference).padEnd(22)} ${verdict}`);
};
const sizes = (buf) => ({ raw: buf.length, gz: gzipSync(buf, { level: 9 }).length, br: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length });
const fmt = (s) => `${s.raw} / ${s.gz} / ${s.br}`;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function newProgram(url, siteOrigin = 'https://shop.example') {
  const owner = client(url, ADMIN_TOKEN);
  const program = (await owner('POST', '/v1/programs', { name: 'Bench', website_url: `${siteOrigin}/` })).body;
  const key = (await owner('POST', `/v1/programs/${program.id}/api-keys`, { name: 'bench' })).body.key;
  const api = client(url, key);
  const alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com' })).body;
  return { owner, api, program, alice };
}

// Each request comes from its own visitor (CF-Connecting-IP), as real traffic
// does, so the per-visitor rate limit does not cap the measurement.
let visitor = 0;
const asVisitor = (req) => ({ ...req, headers: { ...req.headers, 'cf-connecting-ip': `10.${(visitor >> 16) & 255}.${(visitor >> 8) & 255}.${visitor++ & 255}` } });

function load(url, opts) {
  return new Promise((resolve, reject) => {
    const options = Object.fromEntries(Object.entries({ url, connections: 20, duration: 8, ...opts }).filter(([, v]) => v !== undefined));
    autocannon({ ...options, requests: [{ setupRequest: asVisitor }] }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

// 1. Snippet weight -----------------------------------------------------------
async function snippetWeight(worker, program) {
  const loader = Buffer.from(await (await fetch(`${worker.url}/s/${program.public_id}.js`)).arrayBuffer());
  const moduleJs = readFileSync(join(root, 'snippet/pkg/snippet_bg.js'));
  const wasm = readFileSync(join(root, 'snippet/pkg/snippet_bg.wasm'));
  const [l, j, w] = [sizes(loader), sizes(moduleJs), sizes(wasm)];
  row('weight', 'loader bytes raw / gzip / brotli (every view)', fmt(l), 'goal ≤ 600 brotli', l.br <= 600 ? 'PASS' : 'FAIL');
  row('weight', 'module JS bytes raw / gzip / brotli', fmt(j));
  row('weight', 'wasm bytes raw / gzip / brotli', fmt(w));
  const total = l.br + j.br + w.br;
  row('weight', 'loader + module JS + wasm, brotli', total, 'goal ≤ 5500', total <= 5500 ? 'PASS' : 'FAIL');
  row('weight', 'loader alone (plain view), gzip', l.gz, 'Plausible 810, Dub 1687, Umami 2286', `${(l.gz / 810).toFixed(1)}× Plausible`);
  row('weight', 'loader + module JS + wasm, gzip', l.gz + j.gz + w.gz, 'Plausible 810, Dub 1687, Umami 2286', `${((l.gz + j.gz + w.gz) / 810).toFixed(1)}× Plausible`);
  try {
    const stdout = await namedTwiggyTop();
    console.log(stdout);
    results.push({ section: 'twiggy', text: stdout });
  } catch (e) { row('weight', 'twiggy top', `n/a (${String(e.message).split('\n')[0]})`); }
}

/** `twiggy top` of the shipped module rebuilt with its function names kept, so each item names its crate. */
async function namedTwiggyTop() {
  const dir = join(root, 'target/bench-names');
  // As `make snippet` builds it (opt-level 3, no reference types), with names.
  const env = { ...process.env, CARGO_TARGET_DIR: dir, CARGO_PROFILE_RELEASE_STRIP: 'false', CARGO_PROFILE_RELEASE_OPT_LEVEL: '3', RUSTFLAGS: '-C target-feature=-reference-types' };
  await run('cargo', ['build', '-q', '-p', 'edgeref-snippet', '--release', '--target', 'wasm32-unknown-unknown', '--features', 'standalone'], { cwd: root, env });
  const features = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-multivalue'];
  // The unstripped module says "reference-types" in its target features (from the precompiled `core`), which wasm-bindgen would act on.
  const input = join(dir, 'input.wasm');
  await run('wasm-opt', ['-g', '--strip-dwarf', '--strip-target-features', ...features, '-o', input, join(dir, 'wasm32-unknown-unknown/release/edgeref_snippet.wasm')]);
  await run('wasm-bindgen', ['--target', 'bundler', '--no-typescript', '--keep-debug', '--out-dir', dir, '--out-name', 'named', input]);
  const named = join(dir, 'named.wasm');
  await run('wasm-opt', ['-Oz', '--converge', '--low-memory-unused', '--zero-filled-memory', '-g', '--strip-dwarf', ...features, '-o', named, join(dir, 'named_bg.wasm')]);
  const { stdout } = await run('twiggy', ['top', '-n', '16', named]);
  // Without the names section (not shipped) and the symbol hashes.
  return stdout.split('\n').filter((l) => !l.includes('"function names"')).map((l) => l.replace(/::h[0-9a-f]{16}|\[[0-9a-f]{16}\]/g, '')).join('\n');
}

// 1b. The Worker's own size: what every cold start compiles ---------------------------
/** The Worker's wasm gzipped (budget 700 KiB), the median time to compile and instantiate
 * it, and the ten crates it is mostly made of (a build with function names kept). */
async function workerSize() {
  const wasm = readFileSync(join(root, 'edge/build/index_bg.wasm'));
  const gz = gzipSync(wasm, { level: 9 }).length;
  row('size', "Worker's wasm, gzip (with the bench meters)", `${(gz / 1024).toFixed(0)} KiB (${(wasm.length / 1024).toFixed(0)} KiB raw)`, 'goal < 700 KiB', gz < 700 * 1024 ? 'PASS' : 'FAIL');
  // V8 (as in workerd) compiles and instantiates the module on every cold start; the glue's
  // imports are stubbed, since instantiating runs none of them.
  const times = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    const module = new WebAssembly.Module(wasm);
    const imports = {};
    for (const { module: m, name, kind } of WebAssembly.Module.imports(module)) {
      imports[m] ??= {};
      imports[m][name] = { function: () => {}, tag: new WebAssembly.Tag({ parameters: ['externref'] }), memory: new WebAssembly.Memory({ initial: 17 }), table: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }) }[kind] ?? new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
    }
    new WebAssembly.Instance(module, imports);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  row('size', 'cold start: compile + instantiate the wasm, median of 15', `${times[7].toFixed(1)} ms`, `min ${times[0].toFixed(1)} ms, max ${times[14].toFixed(1)} ms`);
  const crates = await namedWorkerCrates();
  row('size', 'biggest crates in the wasm (raw bytes, a build with names)', crates.map(([c, n]) => `${c} ${(n / 1024).toFixed(0)} KiB`).join(', '));
}

/** The Worker's wasm as `make build` compiles it but with names kept, summed by crate
 * (`data` is static data, which has no name to tell its crate). */
async function namedWorkerCrates() {
  const dir = join(root, 'target/bench-names');
  const env = { ...process.env, CARGO_TARGET_DIR: dir, CARGO_PROFILE_RELEASE_STRIP: 'false' };
  await run('cargo', ['build', '-q', '-p', 'edgeref-edge', '--release', '--target', 'wasm32-unknown-unknown'], { cwd: root, env, maxBuffer: 1 << 26 });
  const { stdout } = await run('twiggy', ['top', '-n', '100000', '--format', 'csv', join(dir, 'wasm32-unknown-unknown/release/edgeref_edge.wasm')], { maxBuffer: 1 << 28 });
  const bytes = new Map();
  for (const line of stdout.split('\n').slice(1)) {
    const m = line.match(/^"?(.*?)"?,(\d+),/);
    if (!m) continue;
    // Debug info and the names themselves are not shipped.
    if (/^custom section|subsection$/.test(m[1])) continue;
    const name = m[1].replace(/^[<&(]+/, '').replace(/^(impl |dyn |mut )/, '');
    const crate = /^data\[|^data segment/.test(name) ? 'static data' : name.includes('::') ? name.split('::')[0].replace(/\[[0-9a-f]+\]|[<>&\s].*$/g, '') || 'other' : 'other';
    bytes.set(crate, (bytes.get(crate) || 0) + Number(m[2]));
  }
  return [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 10);
}

// 2. Page views: what each kind downloads from Edgeref, and requests before the visit beacon --
async function pageViews(worker) {
  const site = await startMerchantSite();
  const { program, alice } = await newProgram(worker.url, site.origin);
  site.page('*', merchantPage(program.snippet));
  const browser = await launchBrowser();
  const edge = new URL(worker.url).origin;
  const br = (buf) => sizes(buf).br;
  /** One context (one visitor): each view's requests in order, and the brotli bytes of what Edgeref sent over the network. */
  const visitor = async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Playwright sees every request in order (the beacon included); CDP says
    // which ones the cache answered without touching the network.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const cachedUrls = new Set();
    const urlOf = new Map();
    cdp.on('Network.requestWillBeSent', (e) => urlOf.set(e.requestId, e.request.url));
    cdp.on('Network.requestServedFromCache', (e) => cachedUrls.add(urlOf.get(e.requestId)));
    cdp.on('Network.responseReceived', (e) => { if (e.response.fromDiskCache || e.response.fromPrefetchCache || e.response.fromMemoryCache) cachedUrls.add(e.response.url); });
    let log = [];
    let bodies = [];
    page.on('request', (r) => log.push(r));
    page.on('response', (r) => { if (new URL(r.url()).origin === edge) bodies.push(r.body().then((b) => (cachedUrls.has(r.url()) || r.status() === 304 ? 0 : br(b)), () => 0)); });
    const view = async (path, { beacon }) => {
      log = [];
      bodies = [];
      cachedUrls.clear();
      const sentP = beacon && page.waitForRequest((r) => r.url().endsWith('/t/visit'));
      await page.goto(`${site.origin}${path}`);
      const sent = sentP && (await sentP);
      await page.waitForLoadState('load');
      // Whatever the loader starts has started and finished: nothing arrives after a quiet half second.
      await page.waitForLoadState('networkidle');
      const fromEdge = log.filter((r) => new URL(r.url()).origin === edge && !cachedUrls.has(r.url()));
      const bytes = (await Promise.all(bodies)).reduce((a, b) => a + b, 0);
      const out = { requests: fromEdge.length, paths: fromEdge.map((r) => new URL(r.url()).pathname.replace(program.public_id, '{id}')), bytes };
      if (!sent) return out;
      const before = log.slice(1, log.indexOf(sent)).filter((r) => !cachedUrls.has(r.url())); // minus the document itself
      // Both from the page's own performance timeline (the beacon is a resource entry).
      const ms = await page.waitForFunction(() => {
        const beacon = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/t/visit'));
        return beacon && beacon.startTime - performance.getEntriesByType('navigation')[0].domContentLoadedEventStart;
      }).then((h) => h.jsonValue());
      return { ...out, fetched: before.length, urls: before.map((r) => new URL(r.url()).pathname.replace(program.public_id, '{id}')), ms: ms.toFixed(1) };
    };
    return { view, close: () => context.close() };
  };
  const link = (n) => `/p${n}?ref=${alice.referral_code}`;
  const stranger = await visitor();
  const plain = await stranger.view('/plain?utm_source=news', { beacon: false });
  await stranger.close();
  const friend = await visitor();
  const first = await friend.view(link(1), { beacon: true });
  const returning = await friend.view('/later', { beacon: false });
  const repeat = await friend.view(link(2), { beacon: true });
  await friend.close();
  const list = (v) => `${v.requests} req, ${v.bytes} B (${v.paths.join(', ') || 'nothing'})`;
  const noModule = !plain.paths.some((p) => p.includes('snippet_bg')) && !plain.paths.includes('/t/visit');
  row('views', 'plain first view: from Edgeref, brotli', list(plain), 'goal ≤ 600 B, loader only', plain.bytes <= 600 && noModule ? 'PASS' : 'FAIL');
  row('views', 'referred first view: from Edgeref, brotli', list(first), 'goal ≤ 5500 B in all', first.bytes <= 5500 ? 'PASS' : 'FAIL');
  row('views', 'returning view (cookie, no code): from Edgeref', list(returning), 'goal 0 B (all cached)', returning.bytes === 0 ? 'PASS' : 'FAIL');
  row('views', 'repeat referred view: from Edgeref', list(repeat), 'the beacon only');
  row('requests', 'first view: fetched before the visit beacon', `${first.fetched} (${first.urls.join(', ')})`, 'goal 3: loader, then module JS ∥ wasm', first.fetched <= 3 ? 'PASS' : 'FAIL');
  row('requests', 'repeat view: fetched before the visit beacon', `${repeat.fetched} ${repeat.urls.join(', ')}`, 'goal 0', repeat.fetched === 0 ? 'PASS' : 'FAIL');
  row('requests', 'DOMContentLoaded → beacon sent, first / repeat', `${first.ms} / ${repeat.ms} ms`, 'was 96.0 / 14.7 ms (loader → wasm)');
  await beaconDelay({ browser, site, worker, program, alice });
  await browser.close();
  await site.stop();
}

/**
 * DOMContentLoaded → visit beacon on a referred first view, the loader as it is (the module
 * fetched only when there is work) against the design it replaced, rebuilt in the same run:
 * one file holding the loader and the module's JS, then the wasm. Both under the same
 * emulated round trip (a phone's), first views in fresh contexts, alternating; medians count.
 * The old file is served by the merchant's (faster) server, which only flatters the old design.
 */
/** A file of the snippet as the loader builds its URL (snippet/core.js `file`): endpoint `e`, version `v`. */
function snippetFile(loader, name) {
  const field = (k) => JSON.parse(loader.match(new RegExp(`"${k}":("[^"]*")`))[1]);
  return `${field('e')}/s/${name}?v=${field('v')}`;
}

async function beaconDelay({ browser, site, worker, program, alice }) {
  const RTT = 40;
  const loader = await (await fetch(`${worker.url}/s/${program.public_id}.js`)).text();
  const moduleJs = await (await fetch(snippetFile(loader, 'snippet_bg.js'))).text();
  // The module's JS runs right after the loader in the same file; the loader's own fetch of it
  // is answered empty by the browser itself (no round trip: that too only flatters the old design).
  site.page('/one-file.js', loader + '\n' + moduleJs, { 'content-type': 'text/javascript; charset=utf-8' });
  const tag = program.snippet.replace(/src="[^"]+"/, 'src="/one-file.js"');
  site.page('/old', merchantPage(tag));
  const firstView = async (path) => {
    const context = await browser.newContext();
    if (path == '/old') await context.route('**/s/snippet_bg.js*', (r) => r.fulfill({ body: '', contentType: 'text/javascript' }));
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: RTT, downloadThroughput: -1, uploadThroughput: -1 });
    await page.goto(`${site.origin}${path}?ref=${alice.referral_code}`);
    const ms = await page.waitForFunction(() => {
      const beacon = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/t/visit'));
      return beacon && beacon.startTime - performance.getEntriesByType('navigation')[0].domContentLoadedEventStart;
    }).then((h) => h.jsonValue());
    await context.close();
    return ms;
  };
  const times = { now: [], old: [] };
  for (let i = 0; i < 7; i++) {
    times.now.push(await firstView('/now'));
    times.old.push(await firstView('/old'));
  }
  const [now, old] = [median(times.now), median(times.old)];
  row('requests', `DOMContentLoaded → beacon, referred first view, RTT ${RTT} ms: now / one-file design`, `${now.toFixed(1)} / ${old.toFixed(1)} ms`,
    'goal: no worse than one round trip', now - old <= RTT ? 'PASS' : 'FAIL');
}

// 3. Edge hot path: Rust vs the plain-JS reference on the same workerd -----------
async function hotPath(rust, rustDirect, js) {
  const rustSeed = await newProgram(rust.url);
  const directSeed = await newProgram(rustDirect.url);
  // The JS reference reads the same KV shapes; give it the Rust program's config.
  const cfg = rustSeed.program;
  // …and the same loader to serve, with the config filled in the same way.
  const loader = readFileSync(join(root, 'snippet/pkg/snippet.js'), 'utf8');
  await fetch(`${js.url}/__seed`, { method: 'POST', body: JSON.stringify({ program: { id: cfg.id, public_id: cfg.public_id, website_url: cfg.website_url, tracking: cfg.tracking }, code: rustSeed.alice.referral_code, owner: 'alice', loader }) });
  const body = (seed) => JSON.stringify({ program: seed.program.public_id, code: seed.alice.referral_code, url: 'https://shop.example/?ref=x', referrer: '' });
  const visit = (url, seed) => ({ url: `${url}/t/visit`, method: 'POST', body: body(seed), headers: { 'content-type': 'text/plain', origin: 'https://shop.example' } });

  // D1 queries on the request path, counted by the Worker (BENCH=on).
  const probe = await fetch(`${rust.url}/t/visit`, visit(rust.url, rustSeed));
  row('edge', 'D1 queries per /t/visit request (queued)', probe.headers.get('x-d1-queries'), 'goal 0 reads, ≤ 1 write', Number(probe.headers.get('x-d1-queries')) <= 1 ? 'PASS' : 'FAIL');
  const probeDirect = await fetch(`${rustDirect.url}/t/visit`, visit(rustDirect.url, directSeed));
  row('edge', 'D1 queries per /t/visit request (no queue)', probeDirect.headers.get('x-d1-queries'), 'goal 0 reads, 1 write');
  // A redirect link records the same visit from a GET (a person's browser: bots are not recorded).
  const redirect = { url: `${rustDirect.url}/r/${directSeed.alice.referral_code}`, headers: { 'user-agent': DESKTOP_UA } };
  await fetch(redirect.url, { redirect: 'manual', headers: redirect.headers }); // warms the isolate's code and program caches
  const probeRedirect = await fetch(redirect.url, { redirect: 'manual', headers: { ...redirect.headers, 'cf-connecting-ip': '10.255.0.1' } });
  row('edge', 'D1 queries per /r/{code} request (no queue, warm)', probeRedirect.headers.get('x-d1-queries'), 'goal 0 reads, 1 write', probeRedirect.status === 302 && Number(probeRedirect.headers.get('x-d1-queries')) <= 1 ? 'PASS' : 'FAIL');

  // Seven alternating rounds, so drift in this noisy machine's speed hits all alike; the ratio is
  // the median of each round's Rust ÷ JS (as for /s/ below), not a ratio of two medians taken apart.
  const targets = [['rust', visit(rustDirect.url, directSeed)], ['js', visit(js.url, { program: cfg, alice: rustSeed.alice })], ['redirect', redirect]];
  const ROUNDS = 7;
  const rounds = { rust: [], js: [], redirect: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, target] of targets) rounds[name].push(await load(target.url, { ...target, duration: 4 }));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
  const results = {};
  for (const [name, rs] of Object.entries(rounds)) {
    // The median round: one stall of this shared machine does not decide the row.
    const mid = [...rs].sort((a, b) => a.requests.average - b.requests.average)[(ROUNDS - 1) >> 1];
    const reqs = mid.requests.average;
    // Redirect links answer 302; anything else is a failure.
    const wrong = rs.reduce((sum, r) => sum + (name === 'redirect' ? r.non2xx - r['3xx'] + r['2xx'] : r.non2xx), 0);
    results[name] = reqs;
    if (name === 'redirect') {
      row('edge', `/r/{code} redirect link, one insert per request: rust req/s (p50/p99 ms)`, `${reqs.toFixed(0)} (${mid.latency.p50}/${mid.latency.p99})`,
        `/t/visit ${results.rust.toFixed(0)} req/s`, wrong ? `${wrong} not 302` : '');
    } else {
      row('edge', `/t/visit one insert per request: ${name} req/s (p50/p99 ms)`, `${reqs.toFixed(0)} (${mid.latency.p50}/${mid.latency.p99})`, '', wrong ? `${wrong} non-2xx` : '');
    }
  }
  const ratios = rounds.rust.map((r, i) => r.requests.average / rounds.js[i].requests.average);
  const ratio = median(ratios);
  row('edge', `/t/visit throughput Rust ÷ JS (same work), median of ${ROUNDS} rounds`, ratio.toFixed(2) + '×',
    `goal ≥ 1.0× (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`, ratio >= 1 ? 'PASS' : 'FAIL');
  // The loader every page view fetches, and /health (no work: what workers-rs's own boundary
  // costs): rounds of Rust then JS back to back, so each round's ratio sees the machine alike;
  // the median round's ratio counts.
  const paired = async (path, rounds) => {
    const rps = { rust: [], js: [] };
    const ratios = [];
    for (let i = 0; i < rounds; i++) {
      const [r, j] = [await load(`${rust.url}${path}`, { duration: 3 }), await load(`${js.url}${path}`, { duration: 3 })];
      rps.rust.push(r);
      rps.js.push(j);
      ratios.push(r.requests.average / j.requests.average);
    }
    return { rps, ratio: median(ratios) };
  };
  const served = await paired(`/s/${cfg.public_id}.js`, 7);
  for (const [name, rs] of Object.entries(served.rps)) {
    const r = [...rs].sort((a, b) => a.requests.average - b.requests.average)[3];
    const wrong = rs.reduce((sum, x) => sum + x.non2xx, 0);
    row('edge', `/s/{id}.js: ${name} req/s (p50/p99 ms)`, `${r.requests.average.toFixed(0)} (${r.latency.p50}/${r.latency.p99})`, '', wrong ? `${wrong} non-2xx` : '');
  }
  const health = await paired('/health', 3);
  row('edge', '/s/{id}.js throughput Rust ÷ JS (same body)', served.ratio.toFixed(2) + '×', `goal ≥ 1.0× (/health, no work: ${health.ratio.toFixed(2)}×)`, served.ratio >= 1 ? 'PASS' : 'FAIL');
  const bundle = readFileSync(join(root, 'edge/build/index_bg.wasm'));
  const js_ = readFileSync(join(root, 'edge/build/index.js'));
  const gz = gzipSync(Buffer.concat([bundle, js_]), { level: 9 }).length;
  row('edge', 'Worker bundle (wasm + js), gzip', `${(gz / 1024).toFixed(0)} KiB`, 'limit 3 MiB free / 10 MiB paid', gz < 3 << 20 ? 'PASS' : 'FAIL');
  return { rustSeed, directSeed, visit };
}

// 3b. The referrer widget: its weight (loaded on demand only) and /w/me beside /t/visit ----
async function widgetBench(rust, rustDirect, { directSeed, visit }) {
  const seed = await newProgram(rustDirect.url);
  const token = (await seed.api('POST', '/v1/customers/alice/portal-token', { ttl_seconds: 86400 })).body.token;
  const loader = await (await fetch(`${rustDirect.url}/s/${seed.program.public_id}.js`)).text();
  const script = sizes(Buffer.from(await (await fetch(snippetFile(loader, 'widget.js'))).arrayBuffer()));
  const me = { url: `${rustDirect.url}/w/me`, headers: { authorization: `Bearer ${token}`, origin: 'https://shop.example' } };
  const probe = await fetch(me.url, { headers: me.headers });
  const answer = sizes(Buffer.from(await probe.arrayBuffer()));
  row('widget', '/s/widget.js bytes raw / gzip / brotli (on demand)', fmt(script), 'not in any other page view');
  row('widget', '/w/me answer with qr_svg, raw / gzip / brotli', fmt(answer), 'one referrer, 0 friends');
  row('widget', 'widget page: widget.js + /w/me, brotli', script.br + answer.br, 'loader unchanged for other pages');
  row('widget', 'D1 queries per /w/me request', probe.headers.get('x-d1-queries'), 'program, customer, stats, friends');
  // Alternating rounds against the same Worker (no queue), the median round counts.
  const targets = [['/w/me', me], ['/t/visit', visit(rustDirect.url, directSeed)]];
  const rounds = Object.fromEntries(targets.map(([n]) => [n, []]));
  for (let i = 0; i < 3; i++) for (const [name, target] of targets) rounds[name].push(await load(target.url, { ...target, duration: 4 }));
  const rps = {};
  for (const [name, rs] of Object.entries(rounds)) {
    const r = [...rs].sort((a, b) => a.requests.average - b.requests.average)[1];
    rps[name] = r.requests.average;
    const wrong = rs.reduce((sum, x) => sum + x.non2xx, 0);
    row('widget', `${name} req/s (p50/p99 ms), same run`, `${r.requests.average.toFixed(0)} (${r.latency.p50}/${r.latency.p99})`,
      name === '/w/me' ? 'token check, D1 reads, QR code' : 'one insert per request', wrong ? `${wrong} non-2xx` : '');
  }
  row('widget', '/w/me ÷ /t/visit throughput', (rps['/w/me'] / rps['/t/visit']).toFixed(2) + '×');
}

// 4. Ingest: queued batches vs one insert per request --------------------------
async function ingest(rust, rustDirect, { rustSeed, directSeed, visit }) {
  // The Worker's own meter (BENCH=on): visit rows written and the time D1 was busy writing them.
  const meter = async (worker) => (await fetch(`${worker.url}/__bench/ingest`)).json();
  const measure = async (worker, seed) => {
    const [{ n: before }] = await worker.sql(`SELECT COUNT(*) AS n FROM visits`);
    const m0 = await meter(worker);
    const started = Date.now();
    // A fixed number of beacons, so every accepted one is accounted for.
    const r = await load(visit(worker.url, seed).url, { ...visit(worker.url, seed), connections: 50, amount: 3000, duration: undefined });
    const loadSeconds = (Date.now() - started) / 1000;
    const accepted = r['2xx'];
    await eventually(async () => (await worker.sql(`SELECT COUNT(*) AS n FROM visits`))[0].n >= before + accepted, 120_000);
    const seconds = (Date.now() - started) / 1000;
    const [{ n: after }] = await worker.sql(`SELECT COUNT(*) AS n FROM visits`);
    const m1 = await meter(worker);
    const busySeconds = (m1.busy_ms - m0.busy_ms) / 1000;
    return { accepted, acceptedPerSec: accepted / loadSeconds, persistedPerSec: accepted / seconds, rows: after - before, d1PerSec: (m1.rows - m0.rows) / busySeconds, busyShare: busySeconds / seconds };
  };
  const queued = await measure(rust, rustSeed);
  const direct = await measure(rustDirect, directSeed);
  const pct = (x) => `${(100 * x).toFixed(0)} %`;
  row('ingest', 'queued: accepted/s, persisted/s (end to end)', `${queued.acceptedPerSec.toFixed(0)} / ${queued.persistedPerSec.toFixed(0)}`);
  row('ingest', 'one insert per request: accepted/s = persisted/s', `${direct.acceptedPerSec.toFixed(0)} / ${direct.persistedPerSec.toFixed(0)}`);
  row('ingest', 'end to end, queued ÷ direct', (queued.persistedPerSec / direct.persistedPerSec).toFixed(2) + '×', 'capped by the request path');
  row('ingest', 'D1 busy writing visits: queued / direct', `${pct(queued.busyShare)} / ${pct(direct.busyShare)} of the run`);
  row('ingest', 'visits persisted per D1-busy second: queued / direct', `${queued.d1PerSec.toFixed(0)} / ${direct.d1PerSec.toFixed(0)}`);
  const ratio = queued.d1PerSec / direct.d1PerSec;
  row('ingest', 'D1 write capacity, queued ÷ direct', ratio.toFixed(1) + '×', 'goal ≥ 5×', ratio >= 5 ? 'PASS' : 'FAIL');
  row('ingest', 'rows in D1 vs accepted beacons (queued)', `${queued.rows} / ${queued.accepted}`, '0 lost, 0 duplicated', queued.rows === queued.accepted ? 'PASS' : 'FAIL');
}

// 5. Scale: the same reads at 10 k and 1 M visits --------------------------------
/** A data set seeded once into its own local state under bench/.cache, reused by later runs:
 *  its folder and what `seed(state)` answered about it (kept in the folder's bench.json). */
async function cachedDataSet(name, seed) {
  const state = join(root, 'bench/.cache', name);
  const meta = join(state, 'bench.json');
  if (!existsSync(meta)) {
    mkdirSync(state, { recursive: true });
    writeFileSync(meta, JSON.stringify(await seed(state)));
  }
  return { state, ...JSON.parse(readFileSync(meta, 'utf8')) };
}

async function scale() {
  const sets = { small: [1_000, 10_000, 1_000], large: [100_000, 1_000_000, 100_000] };
  const timings = {};
  for (const [name, [customers, visits, tx]] of Object.entries(sets)) {
    const { state, program, key, customers: n } = await cachedDataSet(`scale-${name}`, async (state) => {
      const w = await startWorker({ state, vars: { BENCH: 'on' } });
      const owner = client(w.url, ADMIN_TOKEN);
      const program = (await owner('POST', '/v1/programs', { name: `Scale ${name}`, website_url: 'https://shop.example/' })).body;
      const key = (await owner('POST', `/v1/programs/${program.id}/api-keys`, { name: 'bench' })).body.key;
      await w.stop();
      const t = Date.now();
      await run(join(root, '.venv/bin/python'), [join(root, 'bench/seed.py'), state, program.id, customers, visits, tx].map(String), { maxBuffer: 1 << 20 });
      return { program, key, customers, seeded_in_s: (Date.now() - t) / 1000 };
    });
    const w = await startWorker({ state, vars: { BENCH: 'on' } });
    const api = client(w.url, key);
    const owner = client(w.url, ADMIN_TOKEN);
    const time = async (fn) => { await fn(); const xs = []; for (let i = 0; i < 15; i++) { const t = performance.now(); const r = await fn(); if (r.status !== 200) throw new Error(JSON.stringify(r.body)); xs.push(performance.now() - t); } return median(xs); };
    timings[name] = {
      'customers, first page': await time(() => api('GET', '/v1/customers?limit=100')),
      'customers, middle page (cursor)': await time(() => api('GET', `/v1/customers?limit=100&cursor=${Math.floor(n / 2)}`)),
      'customers, last page (cursor)': await time(() => api('GET', `/v1/customers?limit=100&cursor=${n - 100}`)),
      'customer stats (busy referrer)': await time(() => api('GET', '/v1/customers/c0000000/stats')),
      'program stats': await time(async () => { const r = await owner('GET', `/v1/programs/${program.id}/stats`); return r.status === 404 ? { status: 200 } : r; }),
    };
    await w.stop();
  }
  for (const metric of Object.keys(timings.small)) {
    const [s, l] = [timings.small[metric], timings.large[metric]];
    row('scale', `${metric}: 10 k → 1 M visits (ms)`, `${s.toFixed(1)} → ${l.toFixed(1)}`, 'goal ≤ 2×', `${(l / s).toFixed(2)}× ${l / s <= 2 ? 'PASS' : 'FAIL'}`);
  }
}

// 6. Rewards: one scheduled run approving 10,000 due rewards; the list at 10 k and 1 M rewards ---
/** `count` pending rewards for 100 referrers of `programId`, due (or held, `availableAt`), made by SQL. */
async function seedRewards(w, programId, count, availableAt) {
  await w.sql(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
    INSERT INTO customers (program_id, key, email, email_norm, referral_code, created_at, updated_at)
    SELECT '${programId}', 'c' || i, 'c' || i || '@example.com', 'c' || i || '@example.com', 'code' || i, 0, 0 FROM n`);
  for (let done = 0; done < count; done += 250_000) {
    const upto = Math.min(count, done + 250_000);
    await w.sql(`WITH RECURSIVE n(i) AS (SELECT ${done + 1} UNION ALL SELECT i + 1 FROM n WHERE i < ${upto})
      INSERT INTO rewards (id, program_id, customer_key, referred_key, kind, amount, currency, status, flags, available_at, created_at)
      SELECT 'rwd_b' || i, '${programId}', 'c' || (i % 100), 'f' || i, 'referrer', 100 + i % 900, 'USD',
             CASE WHEN i % 10 = 0 THEN 'approved' ELSE 'pending' END, CASE WHEN i % 50 = 0 THEN '["velocity"]' ELSE '[]' END, ${availableAt}, i FROM n`);
  }
}

async function rewardsBench() {
  const w = await startWorker({ vars: { BENCH: 'on' } });
  try {
    const { program } = await newProgram(w.url);
    await seedRewards(w, program.id, 11_112, 0); // 10,000 due and unflagged, the rest approved or flagged
    const [{ n: due }] = await w.sql(`SELECT COUNT(*) AS n FROM rewards WHERE status = 'pending' AND flags = '[]'`);
    const t = performance.now();
    const r = await fetch(`${w.url}/__scheduled?cron=*/5+*+*+*+*`);
    const wall = performance.now() - t;
    if (!r.ok) throw new Error(`cron: ${r.status}`);
    const { scheduled } = await (await fetch(`${w.url}/__bench/ingest`)).json();
    const [{ n: left }] = await w.sql(`SELECT COUNT(*) AS n FROM rewards WHERE status = 'pending' AND flags = '[]'`);
    row('rewards', `scheduled approval of ${due} due rewards (ms)`, `${scheduled.ms} (run ${wall.toFixed(0)})`, 'one run', scheduled.approved === due && left === 0 ? 'PASS' : 'FAIL');
    row('rewards', 'D1 statements for it', scheduled.statements, `${(scheduled.statements / due * 1000).toFixed(1)} per 1,000`);
  } finally {
    await w.stop();
  }
  const timings = {};
  for (const [name, count] of [['small', 10_000], ['large', 1_000_000]]) {
    const { state, program } = await cachedDataSet(`rewards-${name}`, async (state) => {
      const s = await startWorker({ state });
      const { program } = await newProgram(s.url);
      await seedRewards(s, program.id, count, 4_102_444_800_000);
      await s.stop();
      return { program };
    });
    const s = await startWorker({ state });
    const owner = client(s.url, ADMIN_TOKEN);
    const base = `/v1/programs/${program.id}/rewards`;
    const time = async (path) => { await owner('GET', path); const xs = []; for (let i = 0; i < 15; i++) { const t = performance.now(); const r = await owner('GET', path); if (r.status !== 200) throw new Error(JSON.stringify(r.body)); xs.push(performance.now() - t); } return median(xs); };
    timings[name] = {
      'rewards, first page': await time(`${base}?limit=100`),
      'rewards, middle page (cursor)': await time(`${base}?limit=100&cursor=${Math.floor(count / 2)}`),
      'rewards, pending first page': await time(`${base}?limit=100&status=pending`),
      'rewards, one referrer': await time(`${base}?limit=100&customer=c7`),
    };
    await s.stop();
  }
  for (const metric of Object.keys(timings.small)) {
    const [s, l] = [timings.small[metric], timings.large[metric]];
    row('rewards', `${metric}: 10 k → 1 M rewards (ms)`, `${s.toFixed(1)} → ${l.toFixed(1)}`, 'goal ≤ 2×', `${(l / s).toFixed(2)}× ${l / s <= 2 ? 'PASS' : 'FAIL'}`);
  }
}

// 5b. Fulfilment: approved rewards credited to Stripe through the outbox ---------
/** Approved rewards paid by Stripe credit per second: N referrers' held rewards approved by one
 * scheduled run, then credited through the outbox against the local Stripe (tests/fixtures/stripe_api.mjs). */
async function fulfilmentBench() {
  const N = 200;
  const stripe = await startStripeApi();
  const w = await startWorker({ vars: { BENCH: 'on' } });
  try {
    const { owner, api, program } = await newProgram(w.url);
    const rewards = { referrer: { type: 'fixed', amount: 1250, on: 'signup' }, friend: null, hold_days: 30, fulfilment: { referrer: 'stripe_credit' } };
    await owner('PATCH', `/v1/programs/${program.id}`, { rewards });
    await owner('PUT', `/v1/programs/${program.id}/integrations/stripe`, { webhook_secret: 'whsec_bench', secret_key: stripe.key, api_base: stripe.url });
    for (let i = 0; i < N; i++) {
      await api('POST', '/v1/customers', { key: `r${i}`, email: `r${i}@example.com`, stripe_customer_id: stripe.addCustomer(`cus_bench${i}`) });
      await api('POST', '/v1/customers', { key: `f${i}`, email: `f${i}@example.net`, referring_customer: { key: `r${i}` } });
    }
    await w.sql(`UPDATE rewards SET available_at = 0 WHERE program_id = '${program.id}'`);
    const paid = async () => (await w.sql(`SELECT COUNT(*) AS n FROM rewards WHERE program_id = '${program.id}' AND status = 'paid'`))[0].n;
    const t = performance.now();
    while ((await paid()) < N && performance.now() - t < 120_000) await fetch(`${w.url}/__scheduled?cron=*/5+*+*+*+*`);
    const seconds = (performance.now() - t) / 1000;
    const [done, credits] = [await paid(), stripe.calls.filter((c) => c.status === 200 && !c.replayed).length];
    row('fulfilment', `${N} held rewards approved and credited to Stripe (scheduled runs, local Stripe): credits/s`, (done / seconds).toFixed(0),
      `${seconds.toFixed(1)} s; ${credits} balance transactions`, done === N && credits === N ? 'PASS' : 'FAIL');
  } finally {
    await w.stop();
    await stripe.stop();
  }
}

// 6. Records: CSV import and streamed export ------------------------------------
const importFile = (n, prefix = 'i') => 'key,email,name,referral_code,referred_by,created_at\n'
  + Array.from({ length: n }, (_, i) => `${prefix}${i},${prefix}${i}@example.com,Name ${i},${prefix}code${i},${i % 2 ? `${prefix}${i - 1}` : ''},2020-01-01T00:00:00Z`).join('\n');

/** Seeds `count` customers straight into D1 (one statement), as an export's data set. */
async function seedCustomers(w, programId, count) {
  for (let done = 0; done < count; done += 100_000) {
    const n = Math.min(100_000, count - done);
    await w.sql(`WITH RECURSIVE n(i) AS (SELECT ${done + 1} UNION ALL SELECT i + 1 FROM n WHERE i < ${done + n})
      INSERT INTO customers (program_id, key, email, email_norm, name, referral_code, referred_by, balance, created_at, updated_at)
      SELECT '${programId}', 'c' || i, 'c' || i || '@example.com', 'c' || i || '@example.com', 'Customer ' || i, 'code' || i,
             CASE WHEN i % 3 = 0 THEN 'c' || (i - 1) END, i % 1000, 1700000000000 + i, 1700000000000 + i FROM n`);
  }
}

/** Streams an export to the end, counting rows (lines); returns {rows, ms, bytes}. */
async function timedExport(url, path, token) {
  const t = performance.now();
  const r = await fetch(url + path, { headers: { authorization: `Bearer ${token}` } });
  if (r.status !== 200) throw new Error(`export: ${r.status}`);
  let rows = 0, bytes = 0;
  for await (const chunk of r.body) { bytes += chunk.length; for (const b of chunk) if (b === 10) rows++; }
  return { rows: rows - 1, ms: performance.now() - t, bytes };
}

async function recordsBench() {
  const w = await startWorker({ vars: { BENCH: 'on' } });
  try {
    const { program } = await newProgram(w.url);
    const key = (await client(w.url, ADMIN_TOKEN)('POST', `/v1/programs/${program.id}/api-keys`, { name: 'import' })).body.key;
    const file = importFile(5_000);
    const post = async () => {
      const t = performance.now();
      const r = await fetch(`${w.url}/v1/customers/import`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: file });
      const body = await r.json();
      if (r.status !== 200 || body.errors.length) throw new Error(`import: ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
      return { ms: performance.now() - t, statements: Number(r.headers.get('x-d1-queries')), body };
    };
    const first = await post();
    row('records', 'import 5,000 new customers, one call (ms)', first.ms.toFixed(0), 'Worker CPU 30 s, 1,000 queries', first.body.created === 5_000 ? 'PASS' : 'FAIL');
    row('records', 'import rows/s (new customers)', Math.round(5_000 / first.ms * 1000));
    row('records', 'D1 statements per 1,000 imported rows', (first.statements / 5).toFixed(1), `${first.statements} for 5,000`, first.statements <= 50 ? 'PASS' : 'FAIL');
    const again = await post();
    row('records', 'the same file again: unchanged rows/s', Math.round(5_000 / again.ms * 1000), `${again.statements} statements`, again.body.unchanged === 5_000 ? 'PASS' : 'FAIL');
  } finally {
    await w.stop();
  }
  // Exports: the Worker's wasm memory before and after streaming 10 k and 1 M customers (cached data set).
  const sizes = [10_000, Number(process.env.BENCH_EXPORT_ROWS || 1_000_000)];
  const { state, ...ids } = await cachedDataSet(`records-${sizes[1]}`, async (state) => {
    const s = await startWorker({ state });
    const small = await newProgram(s.url);
    const large = await newProgram(s.url);
    await seedCustomers(s, small.program.id, sizes[0]);
    await seedCustomers(s, large.program.id, sizes[1]);
    await s.stop();
    return { small: small.program.id, large: large.program.id };
  });
  const s = await startWorker({ state, vars: { BENCH: 'on' } });
  try {
    // A minute at most: a Worker that does not answer fails the section (with why), not the run.
    const memory = async () => (await (await fetch(`${s.url}/__bench/ingest`, { signal: AbortSignal.timeout(60_000) })).json()).wasm_memory_bytes;
    const mib = (b) => (b / 2 ** 20).toFixed(1);
    const before = await memory();
    const small = await timedExport(s.url, `/v1/programs/${ids.small}/customers.csv`, ADMIN_TOKEN);
    const afterSmall = await memory();
    const large = await timedExport(s.url, `/v1/programs/${ids.large}/customers.csv`, ADMIN_TOKEN);
    const afterLarge = await memory();
    // Each program also has newProgram's `alice`.
    for (const [n, r] of [[sizes[0], small], [sizes[1], large]]) {
      row('records', `export ${n.toLocaleString('en')} customers, streamed (ms, rows/s)`, `${r.ms.toFixed(0)}, ${Math.round(r.rows / r.ms * 1000)}`, `${mib(r.bytes)} MiB of CSV`, r.rows === n + 1 ? 'PASS' : 'FAIL');
    }
    row('records', `Worker wasm memory: start → after ${sizes[0].toLocaleString('en')} → after ${sizes[1].toLocaleString('en')} rows (MiB)`, `${mib(before)} → ${mib(afterSmall)} → ${mib(afterLarge)}`, 'goal: flat', afterLarge <= afterSmall + 2 ** 20 ? 'PASS' : 'FAIL');
  } finally {
    await s.stop();
  }
}

// 7. E-mail: rendering speed in the Worker, and what e-mails add to a signup's D1 work ----
async function emailsBench(rust) {
  // Time stands still inside a Worker while it computes, so rendering is timed from outside:
  // the same request rendering 0 and n messages, medians of alternating rounds.
  const n = 2000;
  const once = async (k) => {
    const t = performance.now();
    const r = await fetch(`${rust.url}/__bench/render?n=${k}`);
    if ((await r.json()).rendered !== k) throw new Error('render meter answered wrongly');
    return performance.now() - t;
  };
  await once(n); // warm
  const [empty, full] = [[], []];
  for (let i = 0; i < 7; i++) {
    empty.push(await once(0));
    full.push(await once(n));
  }
  const perSecond = n / ((median(full) - median(empty)) / 1000);
  row('emails', 'messages rendered per second in the Worker (subject, text and HTML)', Math.round(perSecond).toLocaleString('en'), `referrer_welcome, default template, median of 7`,
    perSecond >= 1000 ? 'PASS' : 'FAIL');

  // Statements on a referred signup's request path, with e-mails off and on: the e-mail
  // deliveries are rows in the signup's one batch; composing and sending happen after the answer.
  const quiet = async () => {
    // Work done after an answer (sending what a change queued) is counted by the next request:
    // sum what requests that prepare nothing themselves report, until two in a row say 0.
    let after = 0;
    for (let zeros = 0; zeros < 2;) {
      const n = Number((await fetch(`${rust.url}/health`)).headers.get('x-d1-queries'));
      after += n;
      zeros = n === 0 ? zeros + 1 : 0;
    }
    return after;
  };
  const statements = async (emails) => {
    const seed = await newProgram(rust.url);
    if (emails) await seed.owner('PATCH', `/v1/programs/${seed.program.id}`, { emails: { enabled: true, from_address: 'rewards@shop.example' } });
    await quiet();
    const r = await seed.api('POST', '/v1/customers', { key: 'bob', email: 'bob@example.com', referring_customer: { key: 'alice' } });
    if (r.status !== 201) throw new Error(`signup: ${r.status}`);
    return { batch: Number(r.headers.get('x-d1-batch')), request: Number(r.headers.get('x-d1-queries')) };
  };
  const [off, on] = [await statements(false), await statements(true)];
  row('emails', 'D1 statements in a referred signup\'s batch: e-mails off / on', `${off.batch} / ${on.batch}`,
    'the same: deliveries are rows of one statement', on.batch === off.batch ? 'PASS' : 'FAIL');
  row('emails', 'D1 statements prepared during that request: off / on', `${off.request} / ${on.request}`, 'sending (after the commit) overlaps the answer');
}

// 8. Storage: D1 bytes per visit, customer and reward, and what fits in one 10 GB database ----
/** The local D1 database's size in bytes (page count × page size, indexes and all), read with
 *  the sqlite3 CLI from the file wrangler keeps under the Worker's state folder. */
async function d1Bytes(state) {
  const files = readdirSync(join(state, 'v3/d1'), { recursive: true }).filter((f) => f.endsWith('.sqlite') && !f.includes('metadata'));
  if (files.length !== 1) throw new Error(`expected one D1 database under ${state}, found ${files.length}`);
  const { stdout } = await run('sqlite3', [join(state, 'v3/d1', files[0]), 'PRAGMA page_count; PRAGMA page_size;']);
  const [pages, size] = stdout.trim().split('\n').map(Number);
  return pages * size;
}

async function storageBench() {
  const N = 100_000;
  const w = await startWorker();
  try {
    const { program } = await newProgram(w.url);
    const grown = async (insert) => { const before = await d1Bytes(w.state); await insert(); return (await d1Bytes(w.state)) - before; };
    // Customers as seedCustomers writes them (name, e-mail, code, a third referred).
    const customer = (await grown(() => seedCustomers(w, program.id, N))) / N;
    // Visits as the ingest writes them: a vis_ id, a landing URL with its query, a search
    // engine as referrer, 100 referrers over 10 days (the per-day counters the triggers keep
    // are a small share; see the projection's reference).
    const visit = (await grown(async () => {
      for (let done = 0; done < N; done += 50_000) {
        await w.sql(`WITH RECURSIVE n(i) AS (SELECT ${done + 1} UNION ALL SELECT i + 1 FROM n WHERE i < ${done + 50_000})
          INSERT INTO visits (id, program_id, code, referrer_key, url, referrer, created_at, bot)
          SELECT 'vis_' || lower(hex(randomblob(8))), '${program.id}', 'code' || (i % 100 + 1), 'c' || (i % 100 + 1),
                 'https://shop.example/pricing?ref=code' || (i % 100 + 1) || '&utm_source=newsletter', 'https://www.google.com/',
                 1767225600000 + (i % 10) * 86400000 + i, 0 FROM n`);
      }
    })) / N;
    // Rewards as seedRewards writes them (it adds 100 referrers, taken off at the customer's size).
    const other = (await client(w.url, ADMIN_TOKEN)('POST', '/v1/programs', { name: 'Bench rewards', website_url: 'https://shop.example/' })).body;
    const reward = ((await grown(() => seedRewards(w, other.id, N, 4_102_444_800_000))) - 100 * customer) / N;
    // One referrer-day of the roll-up (visit_counts) that outlives the raw visits.
    const days = 1_000;
    const rolled = (await grown(() => w.sql(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${days * 100})
      INSERT INTO visit_counts (program_id, referrer_key, day, visits)
      SELECT '${other.id}', 'c' || (i % 100 + 1), date('2020-01-01', '+' || (i / 100) || ' days'), 7 FROM n`))) / (days * 100);
    const b = (x) => `${x.toFixed(0)} B`;
    row('storage', 'D1 bytes per visit (row and indexes)', b(visit), `${N.toLocaleString('en')} visits, local D1 file`);
    row('storage', 'D1 bytes per customer (row and indexes)', b(customer), `${N.toLocaleString('en')} customers`);
    row('storage', 'D1 bytes per reward (row and indexes)', b(reward), `${N.toLocaleString('en')} rewards`);
    row('storage', 'D1 bytes per rolled-up referrer-day (visit_counts)', b(rolled), 'kept after the raw visits go');
    // 10 GB: 1 GB kept for customers, rewards and roll-ups; the rest holds 400 days of raw visits.
    const GB = 1e9, room = GB;
    const perDay = (10 * GB - room) / (400 * visit);
    row('storage', "visits/day under 10 GB at 400 days' retention", Math.round(perDay).toLocaleString('en'),
      `9 GB for raw visits; the other 1 GB, a third each: ${(room / 3 / customer / 1e6).toFixed(1)} M customers, ${(room / 3 / reward / 1e6).toFixed(1)} M rewards, ${(room / 3 / rolled / 1e6).toFixed(1)} M referrer-days of roll-up`);
  } finally {
    await w.stop();
  }
}

/** Runs one section; a section that cannot measure says why in a row of its own, and the run goes on. */
async function guarded(section, run) {
  try {
    return await run();
  } catch (e) {
    const why = String(e?.cause?.code ?? e?.message ?? e).split('\n')[0].slice(0, 160);
    row(section, 'section not measured', `n/a (${why})`, '', 'FAIL');
    return undefined;
  }
}

// `BENCH_ONLY=rewards` (or `records`) runs one section and prints it (docs/benchmarks.md is written by full runs only).
const alone = { rewards: rewardsBench, fulfilment: fulfilmentBench, records: recordsBench }[process.env.BENCH_ONLY];
if (alone) {
  await alone();
  process.exit(0);
}

// `node bench/run.mjs edge` re-measures only the edge hot path (/t/visit, /r/{code}, /s/{id}.js)
// and updates just those rows of docs/benchmarks.md (`weight`: the snippet's files; `views`: the
// page views; `widget`: the widget's rows; `storage`: D1 bytes per row and the 10 GB projection);
// without an argument, everything.
const only = process.argv[2];
const started = Date.now();
console.log(`${'section'.padEnd(10)} ${'metric'.padEnd(46)} ${'value'.padEnd(22)} ${'reference'.padEnd(22)} verdict`);
// `storage` starts its own Worker: none of the three below, nor a build with the meters.
if (only === 'storage') {
  await storageBench();
} else {
  const rust = await startWorker({ vars: { BENCH: 'on' } });
  // The meters exist only in a Worker built for them (edge's `bench` feature), never in a deployed one.
  if ((await fetch(`${rust.url}/__bench/ingest`)).status !== 200) {
    await rust.stop();
    console.error('The Worker was built without its meters: run `make bench` (or `make build EDGE_FEATURES=bench`) first.');
    process.exit(2);
  }
  const directConfig = join(root, '.bench-direct.wrangler.toml');
  // The same Worker without the queue binding: one D1 insert per visit.
  writeFileSync(directConfig, readFileSync(join(root, 'wrangler.toml'), 'utf8').split('\n# Visit ingest:')[0]);
  const rustDirect = await startWorker({ vars: { BENCH: 'on' }, config: directConfig });
  const js = await startWorker({ config: 'bench/js-reference/wrangler.toml' });
  try {
    if (only === 'edge') {
      await hotPath(rust, rustDirect, js);
    } else if (only === 'weight') {
      await snippetWeight(rust, (await newProgram(rust.url)).program);
    } else if (only === 'size') {
      await workerSize();
    } else if (only === 'emails') {
      await emailsBench(rust);
    } else if (only === 'views') {
      await pageViews(rust);
    } else if (only === 'widget') {
      const directSeed = await newProgram(rustDirect.url);
      const visit = (url, seed) => ({ url: `${url}/t/visit`, method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://shop.example' },
        body: JSON.stringify({ program: seed.program.public_id, code: seed.alice.referral_code, url: 'https://shop.example/?ref=x', referrer: '' }) });
      await widgetBench(rust, rustDirect, { directSeed, visit });
    } else {
      const seed = await newProgram(rust.url);
      await guarded('weight', () => snippetWeight(rust, seed.program));
      await guarded('size', workerSize);
      await guarded('views', () => pageViews(rust));
      await guarded('emails', () => emailsBench(rust));
      const ctx = await guarded('edge', () => hotPath(rust, rustDirect, js));
      if (ctx) {
        await guarded('widget', () => widgetBench(rust, rustDirect, ctx));
        await guarded('ingest', () => ingest(rust, rustDirect, ctx));
      }
    }
  } finally {
    await Promise.all([rust.stop(), rustDirect.stop(), js.stop()]);
  }
}
if (!only) {
  await guarded('scale', scale);
  await guarded('rewards', rewardsBench);
  await guarded('fulfilment', fulfilmentBench);
  await guarded('records', recordsBench);
  await guarded('storage', storageBench);
}
const minutes = ((Date.now() - started) / 60000).toFixed(1);
console.log(`\nbench finished in ${minutes} min`);

const machine = `${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
const line = (r) => `| ${r.section} | ${r.metric} | ${r.value} | ${r.reference} | ${r.verdict} |`;
const twiggy = results.find((r) => r.section === 'twiggy');
const doc = join(root, 'docs/benchmarks.md');
const text = readFileSync(doc, 'utf8');
if (only) {
  // Replace the rows this run measured (`views` also writes `requests` rows), add new ones
  // after their section's last row.
  const lines = text.split('\n');
  for (const r of results.filter((r) => r.metric)) {
    const at = lines.findIndex((l) => l.startsWith(`| ${r.section} | ${r.metric} |`));
    // A section not in the table yet goes after the edge rows.
    const last = [r.section, 'edge'].map((s) => lines.findLastIndex((l) => l.startsWith(`| ${s} | `))).find((i) => i >= 0);
    if (at >= 0) lines[at] = line(r);
    else lines.splice(last + 1, 0, line(r));
  }
  const note = `Rows of section "${only}" re-measured on ${machine}.`;
  const out = lines.join('\n').replace(/(Run time: [^\n]*?)( Rows of section[^\n]*)?\n/, `$1 ${note}\n`);
  writeFileSync(doc, out);
  console.log(`updated the ${only} rows of docs/benchmarks.md`);
} else {
  const table = ['| section | metric | value | reference | verdict |', '|---|---|---|---|---|', ...results.filter((r) => r.metric).map(line)].join('\n');
  const generated = `<!-- results:start -->\nMachine: ${machine}. Run time: ${minutes} min.\n\n${table}\n${twiggy ? `\nLargest items in the snippet's wasm (\`twiggy top\`):\n\n\`\`\`\n${twiggy.text.trim()}\n\`\`\`\n` : ''}<!-- results:end -->`;
  writeFileSync(doc, text.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, generated));
  console.log('wrote docs/benchmarks.md');
}
// A section that failed may leave a browser or a server behind: nothing keeps the run alive.
process.exit(0);
