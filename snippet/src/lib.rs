//! Edgeref's browser snippet. The loader (`/s/{public_id}.js`) makes one
//! `Tracker` with the program's tracking settings and calls `page` on every
//! navigation; the module reads the code and keeps the cookie. The loader does
//! the network I/O: it posts the visit for the code `page` returns (and the
//! signup for `referral` and `visit`) and hands the Worker's verdict back to
//! `answered`.
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
use wasm_bindgen::prelude::wasm_bindgen;
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
    settings: TrackingSettings,
    cookie_domain: Option<String>,
    /// The URL last tracked, so SPA hooks that fire twice count once.
    last_href: String,
}

#[wasm_bindgen]
impl Tracker {
    /// `cookie_days` 0 means lifetime. `cookie_domain` ("" for none) shares the
    /// cookie across subdomains, and is only used when this page is on that domain.
    #[wasm_bindgen(constructor)]
    pub fn new(location: Location, document: HtmlDocument, path_format: bool, param: &str, cookie_days: u16, first_click: bool, cookie_domain: String) -> Tracker {
        let settings = TrackingSettings {
            link_format: if path_format { LinkFormat::Path } else { LinkFormat::Query },
            param: ParamName::parse(param).unwrap_or_default(),
            cookie: if cookie_days == 0 { CookieLifetime::Lifetime } else { CookieLifetime::Days(cookie_days) },
            attribution: if first_click { Attribution::FirstClick } else { Attribution::LastClick },
        };
        // Not on localhost previews or another site: a foreign Domain= would drop the cookie.
        let host = location.hostname().unwrap_or_default();
        let on_domain = !cookie_domain.is_empty() && (host == cookie_domain || host.strip_suffix(cookie_domain.as_str()).is_some_and(|s| s.ends_with('.')));
        Tracker { location, document, settings, cookie_domain: on_domain.then_some(cookie_domain), last_href: String::new() }
    }

    /// Tracks the current URL once: reads the code, updates the cookie, and
    /// returns the code to report in a visit beacon when the URL carries one.
    pub fn page(&mut self) -> Option<String> {
        let href = self.location.href().ok()?;
        if self.last_href == href {
            return None;
        }
        self.last_href = href;
        let (path, search) = (self.location.pathname().ok()?, self.location.search().ok()?);
        let from_url = edgeref_shared::link::extract_parts(&path, &search, &self.settings);
        let existing = self.current_code();
        if let CookieAction::Set(code) = cookie::decide(existing.as_ref(), from_url.as_ref(), &self.settings) {
            self.set_cookie(&cookie::set_string(&code, self.settings.cookie, self.is_https(), self.cookie_domain.as_deref()));
        }
        from_url.map(ReferralCode::into_string)
    }

    /// Applies the Worker's answer about `code`: an invalid code loses its
    /// cookie; a valid one stores the visit id ("" for none) a later signup names.
    pub fn answered(&self, code: &str, valid: bool, visit_id: &str) {
        // Only if the cookie still holds this code (a first-click cookie may hold another).
        if self.referral().as_deref() != Some(code) {
            return;
        }
        let domain = self.cookie_domain.as_deref();
        if !valid {
            self.set_cookie(&cookie::delete_string(cookie::NAME, domain));
        } else if !visit_id.is_empty() {
            let max_age = cookie::max_age_secs(self.settings.cookie);
            self.set_cookie(&cookie::named_string(cookie::VISIT_NAME, visit_id, max_age, self.is_https(), domain));
        }
    }

    /// The referral code this visitor carries (`edgeref('referral')`, signups).
    pub fn referral(&self) -> Option<String> {
        self.current_code().map(ReferralCode::into_string)
    }

    /// The id of the visit that set the code, for the signup beacon.
    pub fn visit(&self) -> Option<String> {
        cookie::read_named(&self.cookies(), cookie::VISIT_NAME).map(String::from)
    }

    fn current_code(&self) -> Option<ReferralCode> {
        cookie::read(&self.cookies())
    }

    /// `document.cookie`, or nothing where it is blocked (sandboxed frames).
    fn cookies(&self) -> String {
        self.document.cookie().unwrap_or_default()
    }

    fn set_cookie(&self, value: &str) {
        let _ = self.document.set_cookie(value);
    }

    fn is_https(&self) -> bool {
        self.location.protocol().is_ok_and(|p| p == "https:")
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests;
