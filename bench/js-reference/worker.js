// The plain-JS reference for `make bench`: the same work as the Rust Worker's
// `/t/visit` before queues (parse, validate, KV config read, one D1 insert)
// and a loader endpoint, so both run on the same workerd in the same run.
const CODE = /^[A-Za-z0-9_-]{1,64}$/;

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
      if (!config) return Response.json({ error: { code: 'not_found', message: 'program not found' } }, { status: 404 });
      const code = beacon.code.toLowerCase();
      const owner = CODE.test(code) ? await env.CONFIG.get(`code:${config.id}:${code}`) : null;
      if (!owner) return Response.json({ visit_id: null, valid: false }, { status: 202 });
      const id = 'vis_' + crypto.randomUUID().replaceAll('-', '').slice(0, 16);
      await env.DB.prepare('INSERT INTO visits (id, program_id, code, referrer_key, url, referrer, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)')
        .bind(id, config.id, code, owner, String(beacon.url ?? '').slice(0, 2048), String(beacon.referrer ?? '').slice(0, 2048), Date.now())
        .run();
      return Response.json({ visit_id: id, valid: true }, { status: 202 });
    }
    if (request.method === 'GET' && url.pathname.startsWith('/s/') && url.pathname.endsWith('.js')) {
      const config = await env.CONFIG.get(`program:${url.pathname.slice(3, -3)}`, 'json');
      if (!config) return new Response('not found', { status: 404 });
      const c = JSON.stringify({ e: url.origin, p: config.public_id, n: config.tracking.param });
      return new Response(`(function(){var c=${c};/* glue */})();`, { headers: { 'content-type': 'text/javascript', 'cache-control': 'public, max-age=300' } });
    }
    // Bench set-up only: the same KV entries the Rust Worker writes.
    if (request.method === 'POST' && url.pathname === '/__seed') {
      const { program, code, owner } = await request.json();
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
