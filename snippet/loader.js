// The module's JS (`/s/snippet_bg.js`, immutable and content-hashed like the wasm beside it):
// the loader (snippet/core.js) fetches both when there may be something to track, and hands
// over its config and the calls it queued on `window.edgeref`. `make snippet`
// minifies this with snippet/js/cookies.js into snippet/pkg/snippet_bg.js.
//
// It starts the module and answers the queued calls, then every call and SPA navigation.
// The module decides (the code, the cookie); this does the I/O: `text/plain` POSTs (no CORS
// preflight) with `keepalive` (they survive page unload), answers handed back to the module.
// Nothing here ever throws into the host page; failures are silent unless the page asks for
// debug output.
import { cookies, set_cookie } from './js/cookies.js';

const core = window.edgeref;
const c = core.c;
// Debug output only when the page asks: `data-debug` on the loader's tag, or `?edgeref_debug=1`.
const debug = document.querySelector('script[data-debug]') || /[?&]edgeref_debug=1/.test(location.search);
const log = (message) => debug && console.info('edgeref: ' + message);

// wasm-bindgen's ABI for the module's four functions, by hand instead of its generated glue
// (docs/decisions.md): strings go in as UTF-8 (pointer, length) that the module frees;
// `Option<String>` comes back through the module's stack, freed here once read. `make
// snippet` gives the exports one-letter names: y memory, m malloc, f free, k the stack
// pointer, and s start, p page, a answered, r referral.
let w;
const memory = () => new Uint8Array(w.y.buffer);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (ptr, len) => decoder.decode(memory().subarray(ptr, ptr + len));
function put(s) {
  const bytes = encoder.encode(s);
  const ptr = w.m(bytes.length, 1);
  memory().set(bytes, ptr);
  return [ptr, bytes.length];
}
function returned(f, ...args) {
  const slot = w.k(-16);
  f(slot, ...args);
  const [ptr, len] = new Int32Array(w.y.buffer, slot, 2);
  w.k(16);
  if (!ptr) return undefined;
  const s = text(ptr, len);
  w.f(ptr, len, 1);
  return s;
}
const m = {
  start: (path, param, days, first, domain, https) => w.s(path, ...put(param), days, first, ...put(domain), https),
  page: (href) => returned(w.p, ...put(href)),
  answered: (code, valid, visit) => w.a(...put(code), valid, ...put(visit)),
  referral: (visit) => returned(w.r, visit),
};
// The module's imports, `js/cookies.js` (`e.c` returns through a slot like `returned`).
const imports = {
  e: {
    c: (slot) => new Int32Array(w.y.buffer, slot, 2).set(put(cookies())),
    s: (ptr, len) => set_cookie(text(ptr, len)),
  },
};

function post(path, body) {
  // With cookies: a first-party endpoint (tracking.endpoint) answers with Set-Cookie.
  return fetch(c.e + path, { method: 'POST', keepalive: true, credentials: 'include', body: JSON.stringify(body) })
    .then((r) => r.json())
    .catch((x) => {
      log(path + ' failed: ' + x);
      return null;
    });
}

// Consent (docs/privacy.md), `c.k`: 1 waits for `edgeref('consent', 'granted')`, 2 for Google
// Consent Mode's `ad_storage` in the page's dataLayer. Until the grant, page views are only
// held here, in memory (no cookie, no beacon), and replayed at it: the visit counts once. A
// denial, before or after, removes our cookies; nothing is stored or sent while it stands.
let granted = !c.k;
const held = [];

const commands = {
  // Anything but 'granted' is a denial (a foreign `Domain=`, with no cookie domain, deletes nothing).
  consent(answer) {
    if ((granted = answer == 'granted')) held.splice(0).map(commands.page);
    else for (const name of ['ref', 'vid']) for (const domain of ['', c.o]) set_cookie('edgeref_' + name + '=;Max-Age=0;Path=/;Domain=' + domain);
  },
  page(href = location.href) {
    if (!granted) return void held.push(href);
    const code = m.page(href);
    if (code) post('/t/visit', { program: c.p, code, url: href, referrer: document.referrer }).then((a) => {
      if (a) m.answered(code, a.valid !== false, a.visit_id || '');
    });
  },
  referral: () => m.referral(false) || null,
  // The widget is the loader's (its own script, loaded on demand), also once this runs.
  widget: (options) => core('widget', options),
  reward: () => (m.referral(false) && c.r) || null,
  signup(customer) {
    const code = granted && m.referral(false);
    // A friend's own Stripe promotion code, once created: what `reward` answers from now on
    // (`c.r` is that reward's `{type}` already, unless the program changed since the loader).
    return code ? post('/t/signup', { program: c.p, code, visit_id: m.referral(true), customer }).then((a) => {
      if (a && a.promotion_code) (c.r || {}).code = a.promotion_code;
      return a;
    }) : null;
  },
};

function run(name, arg) {
  try {
    // An unknown name throws here (logged, answered `undefined`) rather than costing a check.
    return commands[name](arg);
  } catch (x) {
    log(name + ' failed: ' + x);
  }
}

function started() {
  // The cookie domain only on that domain (not on a localhost preview): a foreign Domain= drops the cookie.
  // (`.host` ends with `.domain`: the host is the domain or under it.)
  m.start(c.f, c.n, c.d, c.a, c.o && ('.' + location.hostname).endsWith('.' + c.o) ? c.o : '', location.protocol == 'https:');
  // The loader's queue: its page views and the page's calls, in order, each with the
  // `resolve` of the loader's promise (their callbacks hang on it).
  const queued = core.q;
  window.edgeref = (name, arg, callback) => {
    // Every answer a promise, like the loader's: commands may answer plain values.
    const result = Promise.resolve(run(name, arg));
    result.then(typeof arg == 'function' ? arg : callback);
    return result;
  };
  for (const [name, arg, resolve] of queued) resolve(run(name, arg));
  // gtag('consent', 'default' | 'update', {ad_storage}) pushes `arguments` onto dataLayer: what is
  // there, then every later push.
  if (c.k == 2) {
    const layer = (window.dataLayer = window.dataLayer || []);
    const read = (e) => e && e[0] == 'consent' && (e = (e[2] || 0).ad_storage) && run('consent', e);
    const push = layer.push;
    layer.push = (...e) => (e.map(read), push.apply(layer, e));
    layer.map(read);
  }
  log('tracking ' + c.p);
}

core.w
  .then((bytes) => WebAssembly.instantiate(bytes, imports))
  .then(({ instance }) => {
    w = instance.exports;
    started();
  })
  .catch((x) => log('could not start: ' + x));
