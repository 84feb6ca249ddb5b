//! Edgeref's browser snippet. The loader (`/s/{public_id}.js`) calls `start`
//! with the program's tracking settings, then `page` on every navigation and
//! `cmd` for the page's own `edgeref(...)` calls.
//!
//! Every rule (finding the code, the cookie's lifetime, first vs last click)
//! comes from `edgeref-shared`; this crate only touches the browser. It never
//! throws into the host page: every fallible call is swallowed, because a
//! referral tracker must not break a merchant's site.

use edgeref_shared::cookie::{self, CookieAction};
use edgeref_shared::{Attribution, CookieLifetime, LinkFormat, ParamName, ReferralCode, TrackingSettings};
use js_sys::{Object, Promise, Reflect, JSON};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{HtmlDocument, RequestInit, Response};

struct Config {
    endpoint: String,
    program: String,
    settings: TrackingSettings,
    cookie_domain: Option<String>,
    friend_reward: JsValue,
    last_href: String,
}

thread_local! {
    static CONFIG: RefCell<Option<Config>> = const { RefCell::new(None) };
}

/// Called once by the loader. `cookie_days` 0 means lifetime.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen]
pub fn start(
    endpoint: String,
    program: String,
    path_format: bool,
    param: &str,
    cookie_days: u16,
    first_click: bool,
    cookie_domain: Option<String>,
    friend_reward: JsValue,
) {
    let settings = TrackingSettings {
        link_format: if path_format { LinkFormat::Path } else { LinkFormat::Query },
        param: ParamName::parse(param).unwrap_or_default(),
        cookie: if cookie_days == 0 { CookieLifetime::Lifetime } else { CookieLifetime::Days(cookie_days) },
        attribution: if first_click { Attribution::FirstClick } else { Attribution::LastClick },
    };
    // Only share the cookie on a domain this page is actually on (not on localhost previews).
    let host = web_sys::window().and_then(|w| w.location().hostname().ok()).unwrap_or_default();
    let cookie_domain = cookie_domain.filter(|d| host == *d || host.strip_suffix(d.as_str()).is_some_and(|s| s.ends_with('.')));
    let config = Config { endpoint, program, settings, cookie_domain, friend_reward, last_href: String::new() };
    CONFIG.with(|c| *c.borrow_mut() = Some(config));
    page();
}

/// Tracks the current URL once: reads the code, updates the cookie, sends the
/// visit beacon. Repeated calls for the same URL (SPA hooks firing twice) do nothing.
#[wasm_bindgen]
pub fn page() {
    let Some(window) = web_sys::window() else { return };
    let location = window.location();
    let (Ok(href), Ok(path), Ok(search)) = (location.href(), location.pathname(), location.search()) else { return };
    let Some(doc) = html_document() else { return };
    let beacon = CONFIG.with(|c| {
        let mut guard = c.borrow_mut();
        let config = guard.as_mut()?;
        if config.last_href == href {
            return None;
        }
        config.last_href = href.clone();
        let from_url = edgeref_shared::link::extract_parts(&path, &search, &config.settings);
        let existing = cookie::read(&doc.cookie().unwrap_or_default());
        if let CookieAction::Set(code) = cookie::decide(existing.as_ref(), from_url.as_ref(), &config.settings) {
            let secure = secure_of(&location);
            let _ = doc.set_cookie(&cookie::set_string(&code, config.settings.cookie, secure, config.cookie_domain.as_deref()));
        }
        let code = from_url?;
        let body = Object::new();
        set(&body, "program", &config.program);
        set(&body, "code", code.as_str());
        set(&body, "url", &href);
        set(&body, "referrer", &doc.referrer());
        Some((config.endpoint.clone(), body, code, config.settings.cookie, secure_of(&location), config.cookie_domain.clone()))
    });
    if let Some((endpoint, body, code, lifetime, secure, domain)) = beacon {
        let _ = future_to_promise(async move {
            let answer = post(&endpoint, "/t/visit", &body).await?;
            let doc = html_document().ok_or(JsValue::NULL)?;
            if Reflect::get(&answer, &"valid".into())? == JsValue::FALSE {
                // Only forget the code this answer is about; a first-click cookie may hold another.
                if cookie::read(&doc.cookie()?).as_ref() == Some(&code) {
                    doc.set_cookie(&cookie::delete_string(cookie::NAME, domain.as_deref()))?;
                }
            } else if let Some(id) = Reflect::get(&answer, &"visit_id".into())?.as_string() {
                if cookie::read(&doc.cookie()?).as_ref() == Some(&code) {
                    let max_age = cookie::max_age_secs(lifetime);
                    doc.set_cookie(&cookie::named_string(cookie::VISIT_NAME, &id, max_age, secure, domain.as_deref()))?;
                }
            }
            Ok(JsValue::UNDEFINED)
        });
    }
}

/// The page's `edgeref(name, arg)` calls. Returns a Promise for the commands
/// that answer something, `undefined` otherwise.
#[wasm_bindgen]
pub fn cmd(name: &str, arg: JsValue) -> JsValue {
    match name {
        "referral" => Promise::resolve(&current_code().map_or(JsValue::NULL, |c| c.as_str().into())).into(),
        "reward" => {
            let reward = current_code().and_then(|_| CONFIG.with(|c| c.borrow().as_ref().map(|c| c.friend_reward.clone())));
            Promise::resolve(&reward.unwrap_or(JsValue::NULL)).into()
        }
        "signup" => signup(arg).into(),
        "page" => {
            page();
            JsValue::UNDEFINED
        }
        _ => JsValue::UNDEFINED,
    }
}

/// Sends `POST /t/signup` with the stored code; resolves to the Worker's
/// attribution result, or `null` when this visitor was not referred.
fn signup(customer: JsValue) -> Promise {
    let Some(code) = current_code() else { return Promise::resolve(&JsValue::NULL) };
    let Some((endpoint, program)) = CONFIG.with(|c| c.borrow().as_ref().map(|c| (c.endpoint.clone(), c.program.clone()))) else {
        return Promise::resolve(&JsValue::NULL);
    };
    let body = Object::new();
    set(&body, "program", &program);
    set(&body, "code", code.as_str());
    let cookies = html_document().and_then(|d| d.cookie().ok()).unwrap_or_default();
    if let Some(visit) = cookie::read_named(&cookies, cookie::VISIT_NAME) {
        set(&body, "visit_id", visit);
    }
    let _ = Reflect::set(&body, &"customer".into(), &customer);
    future_to_promise(async move { post(&endpoint, "/t/signup", &body).await })
}

fn current_code() -> Option<ReferralCode> {
    cookie::read(&html_document()?.cookie().ok()?)
}

/// A `text/plain` POST (a "simple" request: no CORS preflight) that survives
/// page unload (`keepalive`), answered with the parsed JSON body.
async fn post(endpoint: &str, path: &str, body: &Object) -> Result<JsValue, JsValue> {
    // A plain object: web-sys has no setter for `keepalive`.
    let init = Object::new();
    set(&init, "method", "POST");
    Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE)?;
    Reflect::set(&init, &"body".into(), &JSON::stringify(body)?.into())?;
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let url = [endpoint, path].concat();
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(&url, init.unchecked_ref::<RequestInit>())).await?.dyn_into()?;
    JsFuture::from(response.json()?).await
}

fn html_document() -> Option<HtmlDocument> {
    web_sys::window()?.document()?.dyn_into().ok()
}

fn secure_of(location: &web_sys::Location) -> bool {
    location.protocol().is_ok_and(|p| p == "https:")
}

fn set(obj: &Object, key: &str, value: &str) {
    let _ = Reflect::set(obj, &key.into(), &value.into());
}
