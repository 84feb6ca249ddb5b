//! Who is calling: the owner (admin token or dashboard session) or a merchant
//! backend (program API key). Also the dashboard's sign-in: `/auth/*`.

use crate::api_keys;
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{bearer, json, json_body, self_origin};
use crate::{db, ids};
use edgeref_shared::audit::Actor;
use edgeref_shared::{apikey, session, time};
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Method, Request, Response};

/// The dashboard's session cookie (HttpOnly, SameSite=Strict).
pub const SESSION_COOKIE: &str = "edgeref_session";

fn admin_token(env: &Env) -> String {
    env.secret("ADMIN_TOKEN").map(|s| s.to_string()).unwrap_or_default()
}

/// Lets the owner in: `Authorization: Bearer <ADMIN_TOKEN>` (checked in
/// constant time), or else a dashboard session cookie. Cookies are sent by
/// the browser on its own, so a cookie-authenticated write must also come
/// from this Worker's own pages (`Origin` check against CSRF). Answers which of the two it was.
pub fn require_owner(req: &Request, env: &Env) -> ApiResult<Actor> {
    if let Some(presented) = bearer(req) {
        return apikey::token_matches(&presented, &admin_token(env)).then_some(Actor::Admin).ok_or_else(ApiError::unauthorized);
    }
    session_expiry(req, env).ok_or_else(ApiError::unauthorized)?;
    if !matches!(req.method(), Method::Get | Method::Head | Method::Options) {
        same_origin(req)?;
    }
    Ok(Actor::Session)
}

/// A write a browser's cookie would authenticate must come from this Worker's own pages:
/// browsers always send `Origin` on such requests, so a missing one is refused too.
fn same_origin(req: &Request) -> ApiResult<()> {
    if origin(req).as_deref() != Some(self_origin(req).as_str()) {
        return Err(cross_origin());
    }
    Ok(())
}

/// The expiry (Unix seconds) of the request's session cookie, if it is genuine and current.
fn session_expiry(req: &Request, env: &Env) -> Option<i64> {
    let token = admin_token(env);
    if token.is_empty() {
        return None;
    }
    let value = crate::http::cookie(req, SESSION_COOKIE)?;
    session::verify(&session::key_from_admin_token(&token), &value, ids::now_ms() / 1000)
}

fn origin(req: &Request) -> Option<String> {
    req.headers().get("origin").ok().flatten()
}

fn cross_origin() -> ApiError {
    ApiError::new(403, "forbidden", "cross-origin request refused: Origin must be this Edgeref's own")
}

/// `Set-Cookie` for the session; `Secure` whenever the dashboard is on https.
fn session_cookie(req: &Request, value: &str, max_age: i64) -> String {
    set_cookie(req.url().map(|u| u.scheme() == "https").unwrap_or(true), value, max_age)
}

fn set_cookie(secure: bool, value: &str, max_age: i64) -> String {
    format!("{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}", if secure { "; Secure" } else { "" })
}

/// `POST /auth/login {"token"}`: exchanges the admin token for a session cookie.
pub async fn login(mut req: Request, env: &Env) -> ApiResult<Response> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Login {
        token: String,
    }
    // Browsers always send Origin on POST; a foreign one is a login-CSRF attempt.
    if origin(&req).is_some_and(|o| o != self_origin(&req)) {
        return Err(cross_origin());
    }
    let body: Login = json_body(&mut req).await?;
    if !apikey::token_matches(&body.token, &admin_token(env)) {
        return Err(ApiError::new(401, "unauthorized", "that is not the admin token").with_field("token"));
    }
    let expires_at = ids::now_ms() / 1000 + session::LIFETIME_SECS;
    let value = session::issue(&session::key_from_admin_token(&admin_token(env)), expires_at);
    let mut response = json(200, &json!({"expires_at": time::rfc3339(expires_at * 1000)}))?;
    response.headers_mut().set("set-cookie", &session_cookie(&req, &value, session::LIFETIME_SECS))?;
    Ok(response)
}

/// `POST /auth/logout`: removes the session cookie from the browser, when asked by this
/// Worker's own pages (a cross-site form must not sign the owner out).
pub fn logout(req: &Request) -> ApiResult<Response> {
    same_origin(req)?;
    let mut response = json(200, &json!({"signed_out": true}))?;
    response.headers_mut().set("set-cookie", &session_cookie(req, "", 0))?;
    Ok(response)
}

/// `GET /auth/session`: whether the browser is signed in, and until when.
pub fn current(req: &Request, env: &Env) -> ApiResult<Response> {
    let expires_at = session_expiry(req, env).ok_or_else(ApiError::unauthorized)?;
    json(200, &json!({"expires_at": time::rfc3339(expires_at * 1000)}))
}

/// Resolves a program API key to its program id and the key as an actor. Unknown and revoked keys are
/// both plain 401s. `last_used_at` is refreshed at most once a minute, after
/// the response, so key checks add no write to the request.
pub async fn require_program_key(req: &Request, cx: &Cx) -> ApiResult<(String, Actor)> {
    let presented = bearer(req).ok_or_else(ApiError::unauthorized)?;
    if !presented.starts_with(apikey::KEY_PREFIX) {
        return Err(ApiError::unauthorized());
    }
    let row = api_keys::store::by_hash(&cx.db, &apikey::hash(&presented)).await?.ok_or_else(ApiError::unauthorized)?;
    if !apikey::matches(&presented, &row.hash) {
        return Err(ApiError::unauthorized());
    }
    let now = ids::now_ms();
    if row.last_used_at.is_none_or(|t| now - t > 60_000) {
        let stmt = api_keys::store::touch(&cx.db, &row.id, now);
        cx.ctx.wait_until(async move {
            let _ = db::run(stmt).await;
        });
    }
    Ok((row.program_id, Actor::ApiKey { id: row.id, name: row.name }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_session_cookie_is_http_only_strict_and_secure_on_https() {
        assert_eq!(super::set_cookie(true, "v", 43200), "edgeref_session=v; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure");
        assert_eq!(super::set_cookie(false, "", 0), "edgeref_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    }
}
