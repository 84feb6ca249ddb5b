//! Edgeref's browser snippet. The loader (`/s/{public_id}.js`) calls `start`
//! once with the program's tracking settings and `page` on every navigation;
//! the module finds the code and keeps the cookie. The loader does the network
//! I/O: it posts the visit for the code `page` returns (and the signup with
//! what `referral` reads) and hands the Worker's verdict back to `answered`.
//!
//! Every rule (finding the code, the cookie's lifetime, first vs last click)
//! comes from `edgeref-shared`; this crate only touches the browser, through
//! `document.cookie` (`js/cookies.js`). Only strings and booleans cross the
//! boundary: no JS objects, no exceptions caught in Rust, no exported class,
//! each of which would ship kilobytes of glue (see docs/benchmarks.md).
//!
//! The shipped module (feature `standalone`, set by `make snippet`) is `no_std`:
//! std's panic and formatting machinery and its allocator would be most of the
//! download. Tests build it with std.
#![cfg_attr(feature = "standalone", no_std)]

extern crate alloc;

use alloc::string::String;
use core::cell::UnsafeCell;
use edgeref_shared::cookie::{self, CookieAction};
use edgeref_shared::{Attribution, CookieLifetime, LinkFormat, ParamName, ReferralCode, TrackingSettings};
use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(any(feature = "standalone", all(test, target_arch = "wasm32")))]
mod heap;

#[cfg(feature = "standalone")]
#[global_allocator]
static HEAP: heap::Heap = heap::Heap::new();

/// Nothing here panics on purpose; if something does, trap (the loader
/// swallows it) rather than ship a panic message formatter.
#[cfg(feature = "standalone")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[wasm_bindgen(module = "/js/cookies.js")]
extern "C" {
    /// `document.cookie`, "" where cookies are blocked.
    fn cookies() -> String;
    /// Writes one `document.cookie` line.
    fn set_cookie(line: &str);
}

/// One program's tracking on this page.
struct Page {
    settings: TrackingSettings,
    /// `Domain=` for our cookies, when this page is on the program's cookie domain.
    domain: Option<String>,
    https: bool,
    /// A hash of the URL last tracked, so SPA hooks that fire twice count
    /// once (a hash: the state keeps nothing on the heap, see `heap`).
    last_href: u64,
}

/// The page's state. The loader calls in one call at a time and nothing here
/// calls out to JS while holding it (see `with`).
struct State(UnsafeCell<Option<Page>>);
// SAFETY: wasm32-unknown-unknown without the atomics feature has exactly one thread.
unsafe impl Sync for State {}
static STATE: State = State(UnsafeCell::new(None));

/// Runs `f` on the page's state (`None` before `start`). `f` must not call
/// into JS (`cookies`, `set_cookie`): that is the only way back into this module.
fn with<R>(f: impl FnOnce(&mut Page) -> R) -> Option<R> {
    // SAFETY: one thread, and `f` cannot re-enter (see above), so this is the only reference.
    unsafe { (*STATE.0.get()).as_mut().map(f) }
}

/// Sets up tracking. `cookie_days` 0 means lifetime. `cookie_domain` ("" for
/// none) shares the cookie across subdomains; the loader passes it only when
/// this page is on that domain (a foreign `Domain=` would drop the cookie).
#[wasm_bindgen]
pub fn start(path_format: bool, param: &str, cookie_days: u16, first_click: bool, cookie_domain: &str, https: bool) {
    let settings = TrackingSettings::new(
        if path_format { LinkFormat::Path } else { LinkFormat::Query },
        ParamName::parse(param).unwrap_or_default(),
        if cookie_days == 0 { CookieLifetime::Lifetime } else { CookieLifetime::Days(cookie_days) },
        if first_click { Attribution::FirstClick } else { Attribution::LastClick },
    );
    let domain = (!cookie_domain.is_empty()).then(|| cookie_domain.into());
    // SAFETY: as in `with`; nothing else holds the state during this write.
    unsafe { *STATE.0.get() = Some(Page { settings, domain, https, last_href: 0 }) }
    #[cfg(feature = "standalone")]
    HEAP.keep();
}

/// Tracks `href` (the page's URL) once: reads the code, updates the cookie,
/// and returns the code to report in a visit beacon when the URL carries one.
#[wasm_bindgen]
pub fn page(href: &str) -> Option<String> {
    let existing = current_code();
    let (line, from_url) = with(|p| {
        let hash = fnv1a(href);
        if p.last_href == hash {
            return (None, None);
        }
        p.last_href = hash;
        let from_url = edgeref_shared::link::extract(href, &p.settings);
        let line = match cookie::decide(existing.as_ref(), from_url.as_ref(), &p.settings) {
            CookieAction::Set(code) => Some(cookie::set_string(&code, p.settings.cookie, p.https, p.domain.as_deref())),
            CookieAction::Keep => None,
        };
        (line, from_url)
    })?;
    if let Some(line) = line {
        set_cookie(&line);
    }
    from_url.map(ReferralCode::into_string)
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// Applies the Worker's answer about `code`: an invalid code loses its
/// cookie; a valid one stores the visit id ("" for none) a later signup names.
#[wasm_bindgen]
pub fn answered(code: &str, valid: bool, visit_id: &str) {
    // Only if the cookie still holds this code (a first-click cookie may hold another).
    if current_code().as_ref().map(ReferralCode::as_str) != Some(code) {
        return;
    }
    let line = with(|p| {
        let domain = p.domain.as_deref();
        if !valid {
            Some(cookie::delete_string(cookie::NAME, domain))
        } else if !visit_id.is_empty() {
            Some(cookie::named_string(cookie::VISIT_NAME, visit_id, cookie::max_age_secs(p.settings.cookie), p.https, domain))
        } else {
            None
        }
    });
    if let Some(line) = line.flatten() {
        set_cookie(&line);
    }
}

/// The referral code this visitor carries (`edgeref('referral')`, signups),
/// or with `visit` the id of the visit that set it (for the signup beacon).
#[wasm_bindgen]
pub fn referral(visit: bool) -> Option<String> {
    if visit {
        cookie::read_named(&cookies(), cookie::VISIT_NAME).map(String::from)
    } else {
        current_code().map(ReferralCode::into_string)
    }
}

fn current_code() -> Option<ReferralCode> {
    cookie::read(&cookies())
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests;
