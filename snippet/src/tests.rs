//! The snippet in a real browser (headless Chromium through wasm-bindgen-test):
//! a page URL with a referral code becomes the first-party cookie and the code
//! to report, and the Worker's answer updates the cookie.

use super::Tracker;
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

fn tracker(path_format: bool, param: &str, days: u16, first_click: bool, domain: &str) -> Tracker {
    let location = web_sys::window().unwrap().location();
    Tracker::new(location, document(), path_format, param, days, first_click, domain.into())
}

#[wasm_bindgen_test]
fn a_referral_link_sets_the_cookie_and_is_reported_once() {
    clear_cookies();
    go("/shop?x=1&ref=AbC-42");
    let mut t = tracker(false, "ref", 30, false, "");
    assert_eq!(t.page().as_deref(), Some("abc-42"), "a URL with a code sends a visit");
    assert!(cookies().contains("edgeref_ref=abc-42"), "{}", cookies());
    assert_eq!(t.referral().as_deref(), Some("abc-42"));
    assert_eq!(t.page(), None, "the same URL is tracked once");

    // Last click: a later link replaces it; a page without a code keeps it.
    go("/other?ref=zzz");
    assert_eq!(t.page().as_deref(), Some("zzz"));
    assert_eq!(t.referral().as_deref(), Some("zzz"));
    go("/no-code");
    assert_eq!(t.page(), None);
    assert_eq!(t.referral().as_deref(), Some("zzz"));
}

#[wasm_bindgen_test]
fn path_links_with_first_click_keep_the_first_code() {
    clear_cookies();
    go("/a/PathCode/more");
    let mut t = tracker(true, "a", 0, true, "example.com");
    assert_eq!(t.page().as_deref(), Some("pathcode"));
    // The cookie domain is only used on that domain; this page is on 127.0.0.1.
    assert_eq!(t.referral().as_deref(), Some("pathcode"));
    go("/a/second");
    assert_eq!(t.page().as_deref(), Some("second"), "the visit is still reported");
    assert_eq!(t.referral().as_deref(), Some("pathcode"), "first click keeps the first code");
}

#[wasm_bindgen_test]
fn the_workers_answer_updates_the_cookie() {
    clear_cookies();
    go("/?ref=good");
    let mut t = tracker(false, "ref", 7, false, "");
    let code = t.page().unwrap();
    assert_eq!(t.visit(), None);
    t.answered(&code, true, "vis_123");
    assert!(cookies().contains("edgeref_vid=vis_123"), "{}", cookies());
    assert_eq!(t.visit().as_deref(), Some("vis_123"), "the signup names its visit");

    // An unknown code loses its cookie: no referral left, so no signup to send.
    go("/?ref=bogus");
    let code = t.page().unwrap();
    t.answered(&code, false, "");
    assert_eq!(t.referral(), None, "{}", cookies());
}

#[wasm_bindgen_test]
fn an_answer_about_another_code_leaves_the_cookie_alone() {
    clear_cookies();
    go("/?ref=first");
    let mut t = tracker(false, "ref", 30, true, "");
    let first = t.page().unwrap();
    go("/?ref=second");
    let second = t.page().unwrap();
    // First click keeps "first"; the answer that "second" is invalid must not delete it.
    t.answered(&second, false, "");
    assert_eq!(t.referral().as_deref(), Some("first"));
    t.answered(&first, true, "");
    assert_eq!(t.referral().as_deref(), Some("first"));
    assert_eq!(t.visit(), None, "no visit id, nothing stored");
}
