//! The snippet in a real browser (headless Chromium through wasm-bindgen-test):
//! a page URL with a referral code becomes the first-party cookie, the beacon
//! bodies carry it, and the Worker's answer updates the cookie.

use super::Tracker;
use js_sys::{Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::HtmlDocument {
    web_sys::window().unwrap().document().unwrap().dyn_into().unwrap()
}

fn cookies() -> String {
    document().cookie().unwrap()
}

fn clear_cookies() {
    for name in ["edgeref_ref", "edgeref_vid"] {
        document().set_cookie(&format!("{name}=; Max-Age=0; Path=/")).unwrap();
    }
}

fn go(url: &str) {
    web_sys::window().unwrap().history().unwrap().push_state_with_url(&JsValue::NULL, "", Some(url)).unwrap();
}

fn tracker(program: &str, path_format: bool, param: &str, days: u16, first_click: bool, domain: Option<String>) -> Tracker {
    let location = web_sys::window().unwrap().location();
    Tracker::new(location, document(), program.into(), path_format, param, days, first_click, domain)
}

fn field(obj: &Object, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap()
}

fn answer(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

#[wasm_bindgen_test]
fn a_referral_link_sets_the_cookie_and_builds_the_visit_beacon() {
    clear_cookies();
    go("/shop?x=1&ref=AbC-42");
    let mut t = tracker("prog", false, "ref", 30, false, None);
    let beacon = t.page().expect("a URL with a code sends a visit");
    assert!(cookies().contains("edgeref_ref=abc-42"), "{}", cookies());
    assert_eq!(field(&beacon, "program"), "prog");
    assert_eq!(field(&beacon, "code"), "abc-42");
    assert!(field(&beacon, "url").as_string().unwrap().ends_with("/shop?x=1&ref=AbC-42"));
    assert_eq!(t.referral().as_deref(), Some("abc-42"));
    assert!(t.page().is_none(), "the same URL is tracked once");

    // Last click: a later link replaces it; a page without a code keeps it.
    go("/other?ref=zzz");
    assert!(t.page().is_some());
    assert_eq!(t.referral().as_deref(), Some("zzz"));
    go("/no-code");
    assert!(t.page().is_none());
    assert_eq!(t.referral().as_deref(), Some("zzz"));
}

#[wasm_bindgen_test]
fn path_links_with_first_click_keep_the_first_code() {
    clear_cookies();
    go("/a/PathCode/more");
    let mut t = tracker("prog", true, "a", 0, true, Some("example.com".into()));
    assert!(t.page().is_some());
    // The cookie domain is only used on that domain; this page is on 127.0.0.1.
    assert_eq!(t.referral().as_deref(), Some("pathcode"));
    go("/a/second");
    assert!(t.page().is_some(), "the visit is still reported");
    assert_eq!(t.referral().as_deref(), Some("pathcode"), "first click keeps the first code");
}

#[wasm_bindgen_test]
fn the_workers_answer_updates_the_cookie() {
    clear_cookies();
    go("/?ref=good");
    let mut t = tracker("prog", false, "ref", 7, false, None);
    let beacon = t.page().unwrap();
    t.answered(&beacon, &answer(r#"{"valid":true,"visit_id":"vis_123"}"#));
    assert!(cookies().contains("edgeref_vid=vis_123"), "{}", cookies());

    // The signup names the code, the visit and the customer.
    let customer = answer(r#"{"key":"u1","email":"u1@example.com"}"#);
    let body = t.signup(customer.clone()).expect("a referred visitor's signup is sent");
    assert_eq!(field(&body, "code"), "good");
    assert_eq!(field(&body, "visit_id"), "vis_123");
    assert_eq!(field(&body, "customer"), customer);

    // An unknown code loses its cookie; then there is no referral and no signup to send.
    go("/?ref=bogus");
    let beacon = t.page().unwrap();
    t.answered(&beacon, &answer(r#"{"valid":false,"reason":"unknown_code"}"#));
    assert_eq!(t.referral(), None, "{}", cookies());
    assert!(t.signup(JsValue::NULL).is_none());
}

#[wasm_bindgen_test]
fn an_answer_about_another_code_leaves_the_cookie_alone() {
    clear_cookies();
    go("/?ref=first");
    let mut t = tracker("prog", false, "ref", 30, true, None);
    let first = t.page().unwrap();
    go("/?ref=second");
    let second = t.page().unwrap();
    // First click keeps "first"; the answer that "second" is invalid must not delete it.
    t.answered(&second, &answer(r#"{"valid":false}"#));
    assert_eq!(t.referral().as_deref(), Some("first"));
    // Garbage answers are ignored, never thrown.
    t.answered(&first, &JsValue::NULL);
    t.answered(&first, &answer("42"));
    assert_eq!(t.referral().as_deref(), Some("first"));
}
