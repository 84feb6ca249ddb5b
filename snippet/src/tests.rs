//! The snippet in a real browser (headless Chromium through wasm-bindgen-test):
//! a page URL with a referral code becomes the first-party cookie and the code
//! to report, and the Worker's answer updates the cookie.

use super::{answered, heap::Heap, page, referral, start};
use core::alloc::{GlobalAlloc, Layout};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::HtmlDocument {
    web_sys::window().unwrap().document().unwrap().dyn_into().unwrap()
}

fn cookies() -> String {
    document().cookie().unwrap()
}

/// A fresh page: no cookies of ours.
fn fresh() {
    for name in ["edgeref_ref", "edgeref_vid"] {
        document().set_cookie(&format!("{name}=; Max-Age=0; Path=/")).unwrap();
    }
}

/// Moves the page (as an SPA would) and returns its URL, as the loader passes it.
fn go(url: &str) -> String {
    let window = web_sys::window().unwrap();
    window.history().unwrap().push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url)).unwrap();
    window.location().href().unwrap()
}

fn visit() -> Option<String> {
    referral(true)
}

fn carried() -> Option<String> {
    referral(false)
}

#[wasm_bindgen_test]
fn a_referral_link_sets_the_cookie_and_is_reported_once() {
    fresh();
    start(false, "ref", 30, false, "", false);
    let href = go("/shop?x=1&ref=AbC-42");
    assert_eq!(page(&href).as_deref(), Some("abc-42"), "a URL with a code sends a visit");
    assert!(cookies().contains("edgeref_ref=abc-42"), "{}", cookies());
    assert_eq!(carried().as_deref(), Some("abc-42"));
    assert_eq!(page(&href), None, "the same URL is tracked once");

    // Last click: a later link replaces it; a page without a code keeps it.
    assert_eq!(page(&go("/other?ref=zzz")).as_deref(), Some("zzz"));
    assert_eq!(carried().as_deref(), Some("zzz"));
    assert_eq!(page(&go("/no-code#ref=nope")), None);
    assert_eq!(carried().as_deref(), Some("zzz"));
}

#[wasm_bindgen_test]
fn path_links_with_first_click_keep_the_first_code() {
    fresh();
    start(true, "a", 0, true, "", false);
    assert_eq!(page(&go("/a/PathCode/more")).as_deref(), Some("pathcode"));
    assert_eq!(carried().as_deref(), Some("pathcode"), "{}", cookies());
    assert_eq!(page(&go("/a/second")).as_deref(), Some("second"), "the visit is still reported");
    assert_eq!(carried().as_deref(), Some("pathcode"), "first click keeps the first code");
}

#[wasm_bindgen_test]
fn the_workers_answer_updates_the_cookie() {
    fresh();
    start(false, "ref", 7, false, "", false);
    let code = page(&go("/?ref=good")).unwrap();
    assert_eq!(visit(), None);
    answered(&code, true, "vis_123");
    assert!(cookies().contains("edgeref_vid=vis_123"), "{}", cookies());
    assert_eq!(visit().as_deref(), Some("vis_123"), "the signup names its visit");

    // An unknown code loses its cookie: no referral left, so no signup to send.
    let code = page(&go("/?ref=bogus")).unwrap();
    answered(&code, false, "");
    assert_eq!(carried(), None, "{}", cookies());
}

#[wasm_bindgen_test]
fn an_answer_about_another_code_leaves_the_cookie_alone() {
    fresh();
    start(false, "ref", 30, true, "", false);
    let first = page(&go("/?ref=first")).unwrap();
    let second = page(&go("/?ref=second")).unwrap();
    // First click keeps "first"; the answer that "second" is invalid must not delete it.
    answered(&second, false, "");
    assert_eq!(carried().as_deref(), Some("first"));
    answered(&first, true, "");
    assert_eq!(carried().as_deref(), Some("first"));
    assert_eq!(visit(), None, "no visit id, nothing stored");
}

/// The shipped module's heap: everything above the mark is reused once the
/// last allocation is freed; what was kept before the mark is never handed out.
#[wasm_bindgen_test]
fn the_heap_starts_over_when_empty_and_keeps_what_start_kept() {
    let heap = Heap::new();
    let layout = |size| Layout::from_size_align(size, 8).unwrap();
    unsafe {
        let kept = heap.alloc(layout(24));
        heap.keep();
        let a = heap.alloc(layout(100));
        let b = heap.alloc(layout(70_000)); // more than a page: memory grows
        assert!(a > kept && b > a);
        assert_eq!(b as usize % 8, 0, "aligned");
        b.write_bytes(1, 70_000);
        heap.dealloc(a, layout(100));
        let c = heap.alloc(layout(8));
        assert!(c > b, "one still live: nothing reused");
        heap.dealloc(b, layout(70_000));
        heap.dealloc(c, layout(8));
        assert_eq!(heap.alloc(layout(100)), a, "all freed: the region starts over at the mark");
        heap.dealloc(a, layout(100));
        heap.dealloc(kept, layout(24)); // kept by `start`: never handed back
        assert_eq!(heap.alloc(layout(24)), a, "what start kept is not reused");
    }
}
