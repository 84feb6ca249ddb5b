// The loader `/s/{public_id}.js`: `make snippet` bundles it with wasm-bindgen's glue and
// minifies it into snippet/pkg/snippet.js; the Worker puts each program's config in for
// __EDGEREF_CONFIG__.
//
// It starts the module, replays calls queued before it loaded, and tracks SPA navigations.
// The module decides (the code, the cookie); this does the I/O: `text/plain` POSTs (no CORS
// preflight) with `keepalive` (they survive page unload), answers handed back to the module.
// Nothing here ever throws into the host page; failures are silent unless the page asks for
// debug output (`data-debug` on the tag, or `?edgeref_debug=1`).
import * as m from './pkg/glue_bg.js';

const c = __EDGEREF_CONFIG__;
const script = document.currentScript;
const debug = (script && script.hasAttribute('data-debug')) || /[?&]edgeref_debug=1/.test(location.search);
const log = (message) => debug && console.info('edgeref: ' + message);

function post(path, body) {
  if (!body) return Promise.resolve(null);
  // With cookies: a first-party endpoint (tracking.endpoint) answers with Set-Cookie.
  return fetch(c.e + path, { method: 'POST', keepalive: true, credentials: 'include', body: JSON.stringify(body) })
    .then((r) => r.json())
    .catch((x) => {
      log(path + ' failed: ' + x);
      return null;
    });
}

const commands = {
  page() {
    const code = m.page(location.href);
    if (code) post('/t/visit', { program: c.p, code, url: location.href, referrer: document.referrer }).then((a) => {
      if (a) m.answered(code, a.valid !== false, a.visit_id || '');
    });
  },
  referral: () => Promise.resolve(m.referral(false) || null),
  reward: () => Promise.resolve(m.referral(false) ? c.r : null),
  signup(customer) {
    const code = m.referral(false);
    return post('/t/signup', code && { program: c.p, code, visit_id: m.referral(true), customer });
  },
};

function run(name, arg) {
  try {
    return commands.hasOwnProperty(name) ? commands[name](arg) : undefined;
  } catch (x) {
    log(name + ' failed: ' + x);
  }
}

function started() {
  // The cookie domain only on that domain (not on a localhost preview): a foreign Domain= drops the cookie.
  const host = location.hostname;
  m.start(c.f, c.n, c.d, c.a, c.o && (host == c.o || host.endsWith('.' + c.o)) ? c.o : '', location.protocol == 'https:');
  const queued = (window.edgeref && window.edgeref.q) || [];
  const edgeref = (window.edgeref = (name, arg, callback) => {
    const result = run(name, arg);
    callback = typeof arg == 'function' ? arg : callback;
    if (callback && result) result.then(callback);
    return result;
  });
  run('page');
  queued.forEach((args) => edgeref(...args));
  for (const f of ['pushState', 'replaceState']) {
    const original = history[f];
    history[f] = function () {
      const r = original.apply(this, arguments);
      run('page');
      return r;
    };
  }
  addEventListener('popstate', () => run('page'));
  log('tracking ' + c.p);
}

if (typeof WebAssembly != 'object') log('WebAssembly is unavailable');
else
  fetch(c.w)
    .then((r) => r.arrayBuffer())
    .then((bytes) => WebAssembly.instantiate(bytes, { './glue_bg.js': m }))
    .then(({ instance }) => {
      // What wasm-bindgen's own entry (pkg/glue.js) does with the instance.
      m.__wbg_set_wasm(instance.exports);
      started();
    })
    .catch((x) => log('could not start: ' + x));
