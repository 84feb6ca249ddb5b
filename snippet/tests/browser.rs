//! The snippet in a real browser (headless Chromium through wasm-bindgen-test):
//! a page URL with a referral code becomes the first-party cookie, and the
//! page's `edgeref('referral')` reads it back.
#![cfg(target_arch = "wasm32")]

use edgeref_snippet::{cmd, page, start};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::HtmlDocument {
    web_sys::window().unwrap().document().unwrap().dyn_into().unwrap()
}

fn go(url: &str) {
    web_sys::window().unwrap().history().unwrap().push_state_with_url(&JsValue::NULL, "", Some(url)).unwrap();
}

async fn referral() -> JsValue {
    JsFuture::from(js_sys::Promise::from(cmd("referral", JsValue::UNDEFINED))).await.unwrap()
}

#[wasm_bindgen_test]
async fn a_referral_link_sets_the_cookie_and_referral_reads_it() {
    document().set_cookie("edgeref_ref=; Max-Age=0; Path=/").unwrap();
    go("/shop?x=1&ref=AbC-42");
    // The beacon goes nowhere (port 9 discards): the cookie must not depend on it.
    start("http://127.0.0.1:9".into(), "prog".into(), false, "ref", 30, false, None, JsValue::NULL);
    assert!(document().cookie().unwrap().contains("edgeref_ref=abc-42"), "{}", document().cookie().unwrap());
    assert_eq!(referral().await, JsValue::from_str("abc-42"));

    // Last click: a later link replaces it; a page without a code keeps it.
    go("/other?ref=zzz");
    page();
    assert_eq!(referral().await, JsValue::from_str("zzz"));
    go("/no-code");
    page();
    assert_eq!(referral().await, JsValue::from_str("zzz"));
}

#[wasm_bindgen_test]
async fn path_links_and_unknown_commands_never_throw() {
    document().set_cookie("edgeref_ref=; Max-Age=0; Path=/").unwrap();
    go("/a/PathCode/more");
    start("http://127.0.0.1:9".into(), "prog".into(), true, "a", 0, true, Some("example.com".into()), JsValue::NULL);
    // The cookie domain is only used on that domain; this page is on 127.0.0.1.
    assert_eq!(referral().await, JsValue::from_str("pathcode"));
    assert_eq!(cmd("no-such-command", JsValue::NULL), JsValue::UNDEFINED);
}
