// The loader `/s/{public_id}.js`, the one file every page view downloads: `make snippet`
// minifies it into snippet/pkg/snippet.js and the Worker puts each program's config in for
// __EDGEREF_CONFIG__.
//
// It queues the page's calls, hooks SPA navigations, and loads the module (snippet/loader.js
// and the Rust wasm, two immutable files) only when there may be something to track: the
// program's parameter in the URL where its link format puts it, the `edgeref_ref` cookie (to
// renew it). That test only ever says "maybe": the code, the cookie and the visit are the
// module's to decide. With no code anywhere, every command (`page`, `referral`, `reward`,
// `signup`, and any the module would not know) has nothing to find, so it answers null here.
// Nothing here ever throws into the host page; failures are silent unless the page asks for
// debug output (`data-debug` on the tag, or `?edgeref_debug=1`).
const c = __EDGEREF_CONFIG__;
const script = document.currentScript;
const debug = (script && script.hasAttribute('data-debug')) || /[?&]edgeref_debug=1/.test(location.search);
const log = (message) => debug && console.info('edgeref: ' + message);
// Calls not answered yet, in order: this page view first, then what the page's stub queued.
const queue = (window.edgeref && window.edgeref.q) || [];
let loading;

// A URL component that percent-decodes to the program's parameter name (as the module
// compares them: `?reference=x` is not `?ref=`); one that does not decode is a "maybe".
function named(component) {
  try {
    return decodeURIComponent(component) == c.n;
  } catch (x) {
    return true;
  }
}

// Whether the module may find a code: the cookie, or the parameter as a path segment with
// one after it (path links) or as a query key with a value (query links).
function maybe() {
  try {
    if (/(^|;)\s*edgeref_ref=/.test(document.cookie)) return true;
  } catch (x) {
    // Sandboxed frame: no cookie to read.
  }
  return c.f
    ? location.pathname.split('/').slice(0, -1).some(named)
    : location.search.split(/[?&]/).some((pair) => pair.includes('=') && named(pair.split('=')[0]));
}

function drain() {
  if (loading) return;
  if (maybe()) return load();
  for (const [, arg, callback, resolve] of queue.splice(0)) {
    const answer = Promise.resolve(null);
    answer.then(typeof arg == 'function' ? arg : callback); // `then(undefined)` does nothing
    if (resolve) resolve(answer);
  }
}

function add(src) {
  const s = document.createElement('script');
  s.src = src;
  s.onerror = () => log('could not load ' + src);
  return document.head.appendChild(s);
}

// Both files of the module at once (its JS takes the wasm download from `edgeref.w`).
function load() {
  loading = true;
  if (typeof WebAssembly != 'object') return log('WebAssembly is unavailable');
  edgeref.w = fetch(c.w).then((r) => r.arrayBuffer());
  edgeref.w.catch(() => {}); // reported by the module's JS, if it runs
  add(c.m);
}

// `edgeref('widget', …)`: the widget's own script (`c.g`), loaded on the first call and
// handed the calls on its element (`q`, with this log as `l`); never through the queue, so
// never waiting for (or loading) the module. Resolves, and calls back, with whether it
// rendered. The module's JS hands later calls back here (`edgeref.g`).
let widgets;
function widget(o, callback) {
  if (!widgets) {
    const s = add(c.g);
    s.q = widgets = [];
    s.l = log;
  }
  const done = new Promise((resolve) => widgets.push([o, resolve]));
  done.then(callback);
  return done;
}

// Until the module runs (it replaces `window.edgeref` and answers `edgeref.q` in order).
function edgeref(name, arg, callback) {
  if (name == 'widget') return widget(arg, callback);
  return new Promise((resolve) => {
    queue.push([name, arg, callback, resolve]);
    drain();
  });
}
edgeref.q = queue;
edgeref.c = c;
edgeref.log = log;
edgeref.g = widget;
window.edgeref = edgeref;
// The stub's widget calls now, out of the queue (which may wait for the module).
for (let i = queue.length; i--; ) if (queue[i][0] == 'widget') widget(queue[i][1], queue.splice(i, 1)[0][2]);
queue.unshift(['page', location.href]);
drain();

const view = () => window.edgeref('page', location.href);
for (const f of ['pushState', 'replaceState']) {
  const original = history[f];
  history[f] = function () {
    const r = original.apply(this, arguments);
    view();
    return r;
  };
}
addEventListener('popstate', view);
