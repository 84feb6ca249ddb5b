//! Server-set referral cookies: when a beacon or a redirect arrives on a host
//! that is first-party for the program (within its cookie domain), the Worker
//! writes `edgeref_ref` and `edgeref_vid` itself, by the snippet's rules
//! (`edgeref_shared::cookie`), so Safari does not cap them as script-written.

use crate::error::ApiResult;
use crate::programs::model::TrackingConfig;
use edgeref_shared::cookie::{self, CookieAction};
use edgeref_shared::ReferralCode;
use worker::{Request, Response};

/// The `Set-Cookie` values for a visit of `code` arriving on `host`, given the
/// request's `Cookie` header: none off the program's site; otherwise first or
/// last click decided against the cookie already there, exactly as the snippet
/// does, and the visit id only when the cookie holds this visit's code.
pub fn set_cookies(config: &TrackingConfig, host: &str, https: bool, cookie_header: &str, code: &ReferralCode, visit_id: Option<&str>) -> Vec<String> {
    let t = &config.tracking;
    if !t.is_first_party(&config.website_url, host) {
        return Vec::new();
    }
    let domain = t.effective_cookie_domain(&config.website_url);
    let CookieAction::Set(winner) = cookie::decide(cookie::read(cookie_header).as_ref(), Some(code), t) else { return Vec::new() };
    let mut lines = vec![cookie::set_string(&winner, t.cookie, https, domain.as_deref())];
    if let Some(id) = visit_id.filter(|_| winner == *code) {
        lines.push(cookie::named_string(cookie::VISIT_NAME, id, cookie::max_age_secs(t.cookie), https, domain.as_deref()));
    }
    lines
}

/// Adds the cookies `set_cookies` decides to `response`, for the host and scheme `req` arrived on.
pub fn attach(response: &mut Response, req: &Request, config: &TrackingConfig, code: &ReferralCode, visit_id: Option<&str>) -> ApiResult<()> {
    let Ok(url) = req.url() else { return Ok(()) };
    let cookie_header = req.headers().get("cookie").ok().flatten().unwrap_or_default();
    let host = url.host_str().unwrap_or_default();
    for line in set_cookies(config, host, url.scheme() == "https", &cookie_header, code, visit_id) {
        response.headers_mut().append("set-cookie", &line)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeref_shared::{Attribution, CookieLifetime, TrackingSettings};

    fn config(attribution: Attribution, cookie: CookieLifetime) -> TrackingConfig {
        TrackingConfig {
            id: "prg_1".into(),
            public_id: "p1".into(),
            website_url: "https://www.shop.co.uk/".into(),
            tracking: TrackingSettings { attribution, cookie, ..Default::default() },
            friend_reward: None,
        }
    }
    fn code(s: &str) -> ReferralCode {
        ReferralCode::parse(s).unwrap()
    }

    #[test]
    fn first_party_hosts_get_both_cookies_on_the_cookie_domain() {
        let c = config(Attribution::LastClick, CookieLifetime::Days(30));
        let lines = set_cookies(&c, "ref.shop.co.uk", true, "", &code("abc"), Some("vis_1"));
        assert_eq!(lines, [
            "edgeref_ref=abc; Max-Age=2592000; Path=/; SameSite=Lax; Domain=shop.co.uk; Secure",
            "edgeref_vid=vis_1; Max-Age=2592000; Path=/; SameSite=Lax; Domain=shop.co.uk; Secure",
        ]);
        assert_eq!(set_cookies(&c, "shop.co.uk", false, "", &code("abc"), None), ["edgeref_ref=abc; Max-Age=2592000; Path=/; SameSite=Lax; Domain=shop.co.uk"]);
    }

    #[test]
    fn other_hosts_get_none() {
        let c = config(Attribution::LastClick, CookieLifetime::Days(30));
        for host in ["evil.co.uk", "edgeref.workers.dev", "co.uk", "127.0.0.1", ""] {
            assert!(set_cookies(&c, host, true, "", &code("abc"), Some("vis_1")).is_empty(), "{host}");
        }
    }

    #[test]
    fn first_click_keeps_the_cookie_there_and_last_click_replaces_it() {
        let first = config(Attribution::FirstClick, CookieLifetime::Days(7));
        assert!(set_cookies(&first, "shop.co.uk", true, "edgeref_ref=old", &code("new"), Some("vis_2")).is_empty());
        let renewed = set_cookies(&first, "shop.co.uk", true, "edgeref_ref=new", &code("new"), Some("vis_2"));
        assert_eq!(renewed.len(), 2, "the same code again renews both");
        let last = config(Attribution::LastClick, CookieLifetime::Days(7));
        assert!(set_cookies(&last, "shop.co.uk", true, "edgeref_ref=old", &code("new"), Some("vis_2"))[0].starts_with("edgeref_ref=new;"));
    }

    #[test]
    fn a_lifetime_first_click_cookie_is_renewed_without_taking_the_new_visit() {
        let c = config(Attribution::FirstClick, CookieLifetime::Lifetime);
        let lines = set_cookies(&c, "shop.co.uk", true, "edgeref_ref=old; edgeref_vid=vis_0", &code("new"), Some("vis_2"));
        assert_eq!(lines, ["edgeref_ref=old; Max-Age=34560000; Path=/; SameSite=Lax; Domain=shop.co.uk; Secure"]);
    }
}
