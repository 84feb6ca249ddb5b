// The plain-JS reference for `make bench`: the same work as the Rust Worker's
// `/t/visit` without its queue (parse, validate, KV config read, origin check,
// rate limiter, repeat-visit dedupe, bot flag, one D1 insert)
// into the same D1 schema, and a loader endpoint, so both run on the same workerd in the same run.
const CODE = /^[A-Za-z0-9_-]{1,64}$/;
const BOTS = /bot|crawl|spider|slurp|headless|facebookexternalhit|preview|curl|wget|python|httpclient|scrapy|lighthouse/;
const DEDUPE_MS = 10 * 60_000;
const recent = new Map();
let loader = null; // the Rust loader (snippet/pkg/snippet.js), given by the bench at set-up
const json = (body, status = 200, origin) => Response.json(body, { status, headers: origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {} });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/health') return Response.json({ ok: true });
    if (request.method === 'POST' && url.pathname === '/t/visit') {
      let beacon;
      try {
        beacon = JSON.parse(await request.text());
      } catch {
        return Response.json({ error: { code: 'malformed_request', message: 'malformed JSON' } }, { status: 400 });
      }
      if (typeof beacon.program !== 'string' || typeof beacon.code !== 'string') {
        return Response.json({ error: { code: 'validation_failed', message: 'program and code are required' } }, { status: 422 });
      }
      const config = await env.CONFIG.get(`program:${beacon.program}`, 'json');
      if (!config) return json({ error: { code: 'not_found', message: 'program not found' } }, 404);
      const origin = request.headers.get('origin');
      if (origin && origin !== new URL(config.website_url).origin) return json({ error: { code: 'origin_not_allowed', message: 'origin not allowed' } }, 403);
      const ip = request.headers.get('cf-connecting-ip') ?? '';
      if (env.BEACONS && !(await env.BEACONS.limit({ key: `${config.id}:${ip}` })).success) return json({ error: { code: 'rate_limited', message: 'slow down' } }, 429, origin);
      const code = beacon.code.toLowerCase();
      const owner = CODE.test(code) ? await env.CONFIG.get(`code:${config.id}:${code}`) : null;
      if (!owner) return json({ visit_id: null, valid: false }, 202, origin);
      const ua = request.headers.get('user-agent') ?? '';
      const fingerprint = [config.id, code, ip, ua, beacon.url].join('\u001f');
      const seen = recent.get(fingerprint);
      if (seen && Date.now() - seen.at < DEDUPE_MS) return json({ visit_id: seen.id, valid: true }, 202, origin);
      const id = 'vis_' + crypto.randomUUID().replaceAll('-', '').slice(0, 16);
      recent.set(fingerprint, { at: Date.now(), id });
      const bot = ua.trim() === '' || BOTS.test(ua.toLowerCase()) ? 1 : 0;
      await env.DB.prepare('INSERT INTO visits (id, program_id, code, referrer_key, url, referrer, created_at, bot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)')
        .bind(id, config.id, code, owner, String(beacon.url ?? '').slice(0, 2048), String(beacon.referrer ?? '').slice(0, 2048), Date.now(), bot)
        .run();
      return json({ visit_id: id, valid: true }, 202, origin);
    }
    if (request.method === 'GET' && url.pathname.startsWith('/s/') && url.pathname.endsWith('.js')) {
      const config = await env.CONFIG.get(`program:${url.pathname.slice(3, -3)}`, 'json');
      if (!config) return new Response('not found', { status: 404 });
      const t = config.tracking;
      const c = JSON.stringify({ e: url.origin, p: config.public_id, w: `${url.origin}/s/snippet_bg.wasm`, m: `${url.origin}/s/snippet_bg.js`, f: t.link_format === 'path', n: t.param, d: t.cookie_days ?? 0, a: t.attribution === 'first_click', o: null, r: null });
      loader ??= await env.CONFIG.get('loader');
      return new Response(loader.replace('__EDGEREF_CONFIG__', () => c), { headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' } });
    }
    // Bench set-up only: the same KV entries the Rust Worker writes.
    if (request.method === 'POST' && url.pathname === '/__seed') {
      const { program, code, owner, loader: text } = await request.json();
      await env.CONFIG.put('loader', text);
      loader = text;
      await env.CONFIG.put(`program:${program.public_id}`, JSON.stringify(program));
      await env.CONFIG.put(`code:${program.id}:${code}`, owner);
      return new Response('ok');
    }
    if (url.pathname === '/__count') {
      const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM visits').first();
      return Response.json(row);
    }
    return new Response('not found', { status: 404 });
  },
};
