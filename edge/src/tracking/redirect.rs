//! Redirect links `GET /r/{code}`: they count the click and set the cookies
//! from the server (no JavaScript, no script blocker in the way), then send
//! the visitor on to the referral link, where the snippet sees the code too. A program
//! whose tracking waits for consent gets the bare redirect: the snippet asks first.
//!
//! A code is unique per program only, so the link names no program: the
//! program is the one holding the code whose endpoint host or cookie domain
//! the request's host is within, else the oldest holding it
//! (docs/decisions.md). Whatever the code, the answer is a redirect.

use super::{cookies, header, rate_limit, record_visit, Landing};
use crate::codes;
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::programs::model::TrackingConfig;
use crate::programs::store as programs;
use edgeref_shared::domain::{canonical_host, is_within};
use edgeref_shared::{bot, link, ReferralCode};
use worker::{Method, Request, Response};

/// `GET /r/{code}`: `302` to the referral link, the visit recorded (same dedupe,
/// rate limit and bot rules as `/t/visit`). A bad or unknown code goes to the
/// website without a code and records nothing; a previewer counts nothing.
pub async fn follow(req: Request, cx: &Cx, raw_code: &str) -> ApiResult<Response> {
    let host = req.url().ok().and_then(|u| u.host_str().and_then(canonical_host)).unwrap_or_default();
    let code = ReferralCode::parse(raw_code).ok();
    let holders = match &code {
        Some(code) => codes::holders(cx, code).await?,
        None => Vec::new(),
    };
    let mut all = programs::all_configs(&cx.db, false).await?;
    if holders.iter().any(|(id, _)| !all.iter().any(|p| p.id == *id)) {
        all = programs::all_configs(&cx.db, true).await?;
    }
    let Some((config, holder)) = pick(&all, &holders, &host) else { return Err(ApiError::not_found("program")) };
    let (Some(code), Some(referrer_key)) = (code, holder) else { return redirect(&config.website_url) };
    let target = link::build(&config.website_url, &config.tracking, &code);
    let user_agent = header(&req, "user-agent");
    // A previewer unfurling the link, a link checker's HEAD, or over the rate limit: the redirect, nothing counted or set.
    if bot::is_bot(&user_agent) || req.method() == Method::Head || rate_limit(&req, cx, &config.id).await.is_err() {
        return redirect(&target);
    }
    // Consent first (docs/privacy.md): nothing counted or set here; the snippet on the landing
    // page keeps the code in memory and counts the visit once the visitor agrees.
    if config.tracking.consent.waits() {
        return redirect(&target);
    }
    let landing = Landing { code: &code, referrer_key: referrer_key.to_owned(), url: &target, referrer: &header(&req, "referer") };
    // A queue that cannot take the visit must not strand the visitor: the snippet's beacon tries again.
    let visit_id = record_visit(&req, cx, config, landing).await.ok();
    let mut response = redirect(&target)?;
    cookies::attach(&mut response, &req, config, &code, visit_id.as_deref())?;
    Ok(response)
}

/// The program a redirect is for, and the customer holding the code in it:
/// among the programs holding the code (all programs, with no holder, when
/// none does), the first whose endpoint host or cookie domain `host` is
/// within, else the first. `programs` is oldest first.
pub fn pick<'a>(programs: &'a [TrackingConfig], holders: &'a [(String, String)], host: &str) -> Option<(&'a TrackingConfig, Option<&'a str>)> {
    let holder = |p: &TrackingConfig| holders.iter().find(|(id, _)| *id == p.id).map(|(_, key)| key.as_str());
    let mut candidates: Vec<_> = programs.iter().filter_map(|p| holder(p).map(|key| (p, Some(key)))).collect();
    if candidates.is_empty() {
        candidates = programs.iter().map(|p| (p, None)).collect();
    }
    candidates.iter().find(|(p, _)| serves(p, host)).or(candidates.first()).copied()
}

/// Whether `host` is the program's: within its endpoint's host or its cookie domain.
fn serves(p: &TrackingConfig, host: &str) -> bool {
    let endpoint_host = p.tracking.endpoint.as_deref().and_then(|e| url::Url::parse(e).ok()?.host_str().and_then(canonical_host));
    endpoint_host.is_some_and(|e| is_within(host, &e)) || p.tracking.effective_cookie_domain(&p.website_url).is_some_and(|d| is_within(host, &d))
}

/// `302` to `location`, never cached (each click counts); the site learns the
/// linking page's origin, not its full URL.
fn redirect(location: &str) -> ApiResult<Response> {
    let mut response = Response::empty()?.with_status(302);
    let h = response.headers_mut();
    h.set("location", location)?;
    h.set("cache-control", "no-store")?;
    h.set("referrer-policy", "strict-origin-when-cross-origin")?;
    h.set("x-robots-tag", "noindex")?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeref_shared::TrackingSettings;

    fn program(id: &str, site: &str, endpoint: Option<&str>) -> TrackingConfig {
        TrackingConfig {
            id: id.into(),
            public_id: id.into(),
            website_url: site.into(),
            tracking: TrackingSettings { endpoint: endpoint.map(Into::into), ..Default::default() },
            friend_reward: None,
        }
    }
    fn holders(ids: &[&str]) -> Vec<(String, String)> {
        ids.iter().map(|id| (id.to_string(), format!("key-{id}"))).collect()
    }

    #[test]
    fn the_host_picks_among_the_programs_holding_the_code_else_the_oldest() {
        let all = [
            program("old", "https://old.example/", None),
            program("shop", "https://www.shop.co.uk/", None),
            program("ep", "https://other.example/", Some("https://ref.edge.example")),
        ];
        let both = holders(&["old", "shop", "ep"]);
        let id = |host: &str, h: &[(String, String)]| pick(&all, h, host).map(|(p, k)| (p.id.clone(), k.map(str::to_owned)));
        assert_eq!(id("ref.shop.co.uk", &both), Some(("shop".into(), Some("key-shop".into()))), "within the cookie domain");
        assert_eq!(id("ref.edge.example", &both), Some(("ep".into(), Some("key-ep".into()))), "the endpoint's host");
        assert_eq!(id("edgeref.workers.dev", &both), Some(("old".into(), Some("key-old".into()))), "else the oldest");
        assert_eq!(id("ref.shop.co.uk", &holders(&["old"])), Some(("old".into(), Some("key-old".into()))), "only holders count");
        assert_eq!(id("www.shop.co.uk", &[]), Some(("shop".into(), None)), "an unknown code: the host's program, no holder");
        assert_eq!(id("evil.co.uk", &[]), Some(("old".into(), None)));
        assert!(pick(&[], &[], "x.example").is_none(), "no program at all");
    }
}
