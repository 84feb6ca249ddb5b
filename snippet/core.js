// The loader `/s/{public_id}.js`, the one file every page view downloads: `make snippet`
// minifies it into snippet/pkg/snippet.js and the Worker puts each program's config in for
// __EDGEREF_CONFIG__: `e` the endpoint, `p` the program, `v` the version of the files below,
// `f` path links, `n` the parameter, `d` cookie days, `a` first click, `o` the cookie domain,
// `r` the friend reward (absent when there is none), `k` the consent mode (absent when none
// is needed; the module's JS handles `edgeref('consent', …)`, see docs/privacy.md).
//
// It queues the page's calls, hooks SPA navigations, and loads the module (snippet/loader.js
// and the Rust wasm, two immutable files) only when there may be something to track: the
// program's parameter in the URL where its link format puts it, the `edgeref_ref` cookie (to
// renew it). That test only ever says "maybe": the code, the cookie and the visit are the
// module's to decide. With no code anywhere, every command (`page`, `referral`, `reward`,
// `signup`, `consent`, and any the module would not know) has nothing to find, so it answers null here.
// Nothing here ever throws into the host page, and it logs nothing: debug output
// (`data-debug` on the tag, `?edgeref_debug=1`) is the module's and the widget's.
const c = __EDGEREF_CONFIG__;
const file = (name) => c.e + '/s/' + name + '?v=' + c.v;
// Calls not answered yet, in order: this page view first, then what the page's stub queued.
const queue = [];
const stubbed = (window.edgeref || 0).q || [];
let loading, widgets;

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
    // Another cookie whose name ends in `edgeref_ref` is a "maybe" too many, no more.
    if (document.cookie.includes('edgeref_ref=')) return true;
  } catch (x) {
    // Sandboxed frame: no cookie to read.
  }
  return c.f ? location.pathname.split('/').slice(0, -1).some(named) 
    : location.search.split(/[?&]/).some((pair) => pair.includes('=') && named(pair.split('=')[0]));
}

function drain() {
  // Else each call's `resolve`, with nothing.
  if (!loading) maybe() ? load() : queue.splice(0).map((call) => call[2](null));
}

function add(src) {
  const s = document.createElement('script');
  s.src = file(src);
  return document.head.appendChild(s);
}

// Both files of the module at once (its JS takes the wasm download from `edgeref.w`).
function load() {
  // Without WebAssembly (iOS Lockdown Mode) the module's JS fails to start it, silently.
  loading = true;
  // A failure is the module's JS to report, if it runs.
  (edgeref.w = fetch(file('snippet_bg.wasm')).then((r) => r.arrayBuffer())).catch(() => {});
  add('snippet_bg.js');
}

// Until the module runs (it replaces `window.edgeref` and answers `edgeref.q` in order: each
// call's name, argument and `resolve`). Callbacks hang on the promise, so whoever answers
// (null here, the module or the widget later) calls them once. `edgeref('widget', …)` loads
// the widget's own script on the first call and hands it the calls on its element (`q`:
// options and `resolve`): never through the queue, so never waiting for (or loading) the
// module, which hands its later widget calls back here.
function edgeref(name, arg, callback) {
  const answer = new Promise((resolve) => {
    if (name == 'widget') (widgets = widgets || (add('widget.js').q = [])).push([arg, resolve]);
    else queue.push([name, arg, resolve]), drain();
  });
  answer.then(typeof arg == 'function' ? arg : callback); // `then(undefined)` does nothing
  return answer;
}
edgeref.q = queue;
edgeref.c = c;
window.edgeref = edgeref;
edgeref('page', location.href);
// The stub's calls, in order, after this view's page call.
for (const call of stubbed) edgeref(...call);

// Every SPA navigation is a page view, for whoever answers `edgeref` by then.
const view = () => window.edgeref('page', location.href);
for (const f of ['pushState', 'replaceState']) {
  const original = history[f];
  // Both answer undefined, always.
  history[f] = function () {
    original.apply(this, arguments);
    view();
  };
}
addEventListener('popstate', view);
