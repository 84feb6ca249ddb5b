//! `/s/{public_id}.js` (the loader, with the program's config inlined) and
//! `/s/snippet_bg.wasm` (the Rust snippet, content-hashed, cached forever).

use crate::error::{ApiError, ApiResult};
use crate::programs::model::TrackingConfig;
use edgeref_shared::{cookie, CookieLifetime, LinkFormat, Attribution};
use serde_json::json;
use worker::{Headers, Response};

/// wasm-bindgen's glue (`--target no-modules`, minified) and the module itself, from `make snippet`.
static GLUE: &str = include_str!(concat!(env!("OUT_DIR"), "/snippet.js"));
static WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/snippet_bg.wasm"));
const WASM_HASH: &str = env!("SNIPPET_WASM_HASH");

/// Starts the module, replays calls queued before it loaded, and tracks SPA
/// navigations. The module decides (the code, the cookie); this does the I/O:
/// `text/plain` POSTs (no CORS preflight) with `keepalive` (they survive page
/// unload), answers handed back to the module. Nothing here ever throws into
/// the host page; failures are silent unless the page asks for debug output.
const BOOT: &str = r#"var s=document.currentScript,dbg=(s&&s.hasAttribute("data-debug"))||/[?&]edgeref_debug=1/.test(location.search);
function log(m){if(dbg)console.info("edgeref: "+m)}
if(typeof WebAssembly!="object"){log("WebAssembly is unavailable");return}
var q=(window.edgeref&&window.edgeref.q)||[];
function post(p,b){return b?fetch(c.e+p,{method:"POST",keepalive:true,body:JSON.stringify(b)}).then(function(r){return r.json()}).catch(function(x){log(p+" failed: "+x);return null}):Promise.resolve(null)}
wasm_bindgen({module_or_path:c.w}).then(function(){
var t=new wasm_bindgen.Tracker(location,document,c.f,c.n,c.d,c.a,c.o||"");
function page(){var k=t.page();if(k)post("/t/visit",{program:c.p,code:k,url:location.href,referrer:document.referrer}).then(function(a){if(a)t.answered(k,a.valid!==false,a.visit_id||"")})}
var cmds={page:page,
referral:function(){return Promise.resolve(t.referral()||null)},
reward:function(){return Promise.resolve(t.referral()?c.r:null)},
signup:function(a){var k=t.referral();return post("/t/signup",k&&{program:c.p,code:k,visit_id:t.visit(),customer:a})}};
function run(n,a){try{return cmds.hasOwnProperty(n)?cmds[n](a):undefined}catch(x){log(n+" failed: "+x)}}
var e=window.edgeref=function(n,a,cb){var r=run(n,a);cb=typeof a=="function"?a:cb;if(cb&&r)r.then(cb);return r};
run("page");
q.forEach(function(x){e.apply(null,x)});
["pushState","replaceState"].forEach(function(f){var o=history[f];history[f]=function(){var r=o.apply(this,arguments);run("page");return r}});
addEventListener("popstate",function(){run("page")});
log("tracking "+c.p)}).catch(function(x){log("could not start: "+x)})"#;

pub fn loader(edge_origin: &str, config: &TrackingConfig) -> ApiResult<Response> {
    let t = &config.tracking;
    let site_host = url::Url::parse(&config.website_url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    // Share the cookie across subdomains only when the site itself is one (www., app.).
    let cookie_domain = cookie::registrable_domain(&site_host).filter(|d| *d != site_host);
    let c = json!({
        "e": edge_origin,
        "p": config.public_id,
        "w": format!("{edge_origin}/s/snippet_bg.wasm?v={WASM_HASH}"),
        "f": t.link_format == LinkFormat::Path,
        "n": t.param.as_str(),
        "d": match t.cookie { CookieLifetime::Days(d) => d, CookieLifetime::Lifetime => 0 },
        "a": t.attribution == Attribution::FirstClick,
        "o": cookie_domain,
        "r": config.friend_reward,
    });
    let body = format!("(function(){{var c={c};\n{GLUE}\n{BOOT}}})();\n");
    let headers = Headers::new();
    headers.set("content-type", "text/javascript; charset=utf-8")?;
    // Short: settings changes reach visitors within minutes; the wasm it names is immutable.
    headers.set("cache-control", "public, max-age=300")?;
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::ok(body)?.with_headers(headers))
}

pub fn wasm() -> ApiResult<Response> {
    if WASM.is_empty() {
        return Err(ApiError::new(503, "unavailable", "the snippet was not built: run `make snippet`"));
    }
    let headers = Headers::new();
    headers.set("content-type", "application/wasm")?;
    headers.set("cache-control", "public, max-age=31536000, immutable")?;
    // Fetched cross-origin from merchants' pages; it is public code.
    headers.set("access-control-allow-origin", "*")?;
    Ok(Response::from_bytes(WASM.to_vec())?.with_headers(headers))
}
