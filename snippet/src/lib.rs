//! Edgeref's browser snippet. The loader (`/s/{public_id}.js`) makes one
//! `Tracker` with the program's tracking settings, calls `page` on every
//! navigation, and does the network I/O: it posts the bodies `page` and
//! `signup` build and hands the Worker's answers back to `answered`.
//!
//! Every rule (finding the code, the cookie's lifetime, first vs last click)
//! comes from `edgeref-shared`; this crate only touches the browser. It never
//! throws into the host page: every fallible call is swallowed, because a
//! referral tracker must not break a merchant's site.
//!
//! The shipped module (feature `standalone`, set by `make snippet`) is `no_std`:
//! std's panic and formatting machinery and its allocator would be most of the
//! download (see docs/benchmarks.md). Tests build it with std.
#![cfg_attr(feature = "standalone", no_std)]

extern crate alloc;

use alloc::string::String;
use edgeref_shared::cookie::{self, CookieAction};
use edgeref_shared::{Attribution, CookieLifetime, LinkFormat, ParamName, ReferralCode, TrackingSettings};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{HtmlDocument, Location};

#[cfg(feature = "standalone")]
#[global_allocator]
// SAFETY: wasm32-unknown-unknown without the atomics feature has exactly one thread.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// Nothing here panics on purpose; if something does, trap (the loader's
/// promise chain swallows it) rather than ship a panic message formatter.
#[cfg(feature = "standalone")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// One program's tracking on this page.
#[wasm_bindgen]
pub struct Tracker {
    // Handed in by the loader: no global lookups (and their glue) in here.
    location: Location,
    document: HtmlDocument,
    program: String,
    settings: TrackingSettings,
    cookie_domain: Option<String>,
    /// The URL last tracked, so SPA hooks that fire twice count once.
    last_href: String,
}

#[wasm_bindgen]
impl Tracker {
    /// `cookie_days` 0 means lifetime. `cookie_domain` shares the cookie across
    /// subdomains, and is only used when this page is on that domain.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        location: Location,
        document: HtmlDocument,
        program: String,
        path_format: bool,
        param: &str,
        cookie_days: u16,
        first_click: bool,
        cookie_domain: Option<String>,
    ) -> Tracker {
        let settings = TrackingSettings {
            link_format: if path_format { LinkFormat::Path } else { LinkFormat::Query },
            param: ParamName::parse(param).unwrap_or_default(),
            cookie: if cookie_days == 0 { CookieLifetime::Lifetime } else { CookieLifetime::Days(cookie_days) },
            attribution: if first_click { Attribution::FirstClick } else { Attribution::LastClick },
        };
        // Not on localhost previews or another site: a foreign Domain= would drop the cookie.
        let host = location.hostname().unwrap_or_default();
        let cookie_domain = cookie_domain.filter(|d| host == *d || host.strip_suffix(d.as_str()).is_some_and(|s| s.ends_with('.')));
        Tracker { location, document, program, settings, cookie_domain, last_href: String::new() }
    }

    /// Tracks the current URL once: reads the code, updates the cookie, and
    /// returns the `/t/visit` body when the URL carries a code (else `undefined`).
    pub fn page(&mut self) -> Option<Object> {
        let location = &self.location;
        let (href, path, search) = (location.href().ok()?, location.pathname().ok()?, location.search().ok()?);
        if self.last_href == href {
            return None;
        }
        self.last_href = href;
        let doc = &self.document;
        let from_url = edgeref_shared::link::extract_parts(&path, &search, &self.settings);
        let existing = cookie::read(&doc.cookie().unwrap_or_default());
        if let CookieAction::Set(code) = cookie::decide(existing.as_ref(), from_url.as_ref(), &self.settings) {
            let _ = doc.set_cookie(&cookie::set_string(&code, self.settings.cookie, self.is_https(), self.cookie_domain.as_deref()));
        }
        let body = self.body(&from_url?);
        set(&body, "url", &self.last_href);
        set(&body, "referrer", &doc.referrer());
        Some(body)
    }

    /// Applies the Worker's answer to a visit beacon: an invalid code loses its
    /// cookie; a valid one gets the visit id a later signup names.
    pub fn answered(&self, beacon: &Object, answer: &JsValue) {
        let (doc, Ok(code)) = (&self.document, Reflect::get(beacon, &"code".into())) else { return };
        // Only touch the cookie if it still holds this code (a first-click cookie may hold another).
        if cookie::read(&doc.cookie().unwrap_or_default()).map(ReferralCode::into_string) != code.as_string() {
            return;
        }
        let domain = self.cookie_domain.as_deref();
        if Reflect::get(answer, &"valid".into()).ok() == Some(JsValue::FALSE) {
            let _ = doc.set_cookie(&cookie::delete_string(cookie::NAME, domain));
        } else if let Some(id) = Reflect::get(answer, &"visit_id".into()).ok().and_then(|v| v.as_string()) {
            let max_age = cookie::max_age_secs(self.settings.cookie);
            let _ = doc.set_cookie(&cookie::named_string(cookie::VISIT_NAME, &id, max_age, self.is_https(), domain));
        }
    }

    /// The referral code this visitor carries (`edgeref('referral')`).
    pub fn referral(&self) -> Option<String> {
        self.current_code().map(ReferralCode::into_string)
    }

    /// The `/t/signup` body for `edgeref('signup', customer)`, or `undefined`
    /// when this visitor was not referred (then there is nothing to send).
    pub fn signup(&self, customer: JsValue) -> Option<Object> {
        let body = self.body(&self.current_code()?);
        let cookies = self.document.cookie().unwrap_or_default();
        if let Some(visit) = cookie::read_named(&cookies, cookie::VISIT_NAME) {
            set(&body, "visit_id", visit);
        }
        let _ = Reflect::set(&body, &"customer".into(), &customer);
        Some(body)
    }

    fn body(&self, code: &ReferralCode) -> Object {
        let body = Object::new();
        set(&body, "program", &self.program);
        set(&body, "code", code.as_str());
        body
    }

    fn current_code(&self) -> Option<ReferralCode> {
        cookie::read(&self.document.cookie().ok()?)
    }

    fn is_https(&self) -> bool {
        self.location.protocol().is_ok_and(|p| p == "https:")
    }
}

fn set(obj: &Object, key: &str, value: &str) {
    let _ = Reflect::set(obj, &key.into(), &value.into());
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests;
