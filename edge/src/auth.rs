//! Who is calling: a team member (the admin token, or a dashboard session: the
//! admin token's or a person's) or a merchant backend (program API key, within its
//! scopes). Also the dashboard's sign-in: `/auth/*`.

use crate::api_keys;
use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{bearer, json, json_body, self_origin};
use crate::team::{self as people, model::Who};
use crate::{db, ids};
use edgeref_shared::audit::Actor;
use edgeref_shared::team::{self, Action, KeyScope};
use edgeref_shared::{apikey, session, time};
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Method, Request, Response};

/// The dashboard's session cookie (HttpOnly, SameSite=Strict).
pub const SESSION_COOKIE: &str = "edgeref_session";

fn admin_token(env: &Env) -> String {
    env.secret("ADMIN_TOKEN").map(|s| s.to_string()).unwrap_or_default()
}

/// Lets a team member in: `Authorization: Bearer <ADMIN_TOKEN>` (checked in constant
/// time, the break-glass owner), or else a dashboard session cookie: the admin token's,
/// or a person's, whose session row must still exist (a removed person is refused at once).
/// Cookies are sent by the browser on its own, so a cookie-authenticated write must also come
/// from this Worker's own pages (`Origin` check against CSRF).
pub async fn require_person(req: &Request, cx: &Cx) -> ApiResult<Who> {
    if let Some(presented) = bearer(req) {
        return apikey::token_matches(&presented, &admin_token(&cx.env)).then(|| Who::admin(Actor::Admin)).ok_or_else(ApiError::unauthorized);
    }
    let who = match signed_session(req, &cx.env).ok_or_else(ApiError::unauthorized)? {
        Signed::Admin(_) => Who::admin(Actor::Session),
        Signed::Person(id, _) => people::store::session(&cx.db, &id, ids::now_ms()).await?.ok_or_else(ApiError::unauthorized)?.who(),
    };
    if !matches!(req.method(), Method::Get | Method::Head | Method::Options) {
        same_origin(req)?;
    }
    Ok(who)
}

/// A genuine, current session cookie: the admin token's, or a person's session id; with its expiry (Unix seconds).
enum Signed {
    Admin(i64),
    Person(String, i64),
}

/// A write a browser's cookie would authenticate must come from this Worker's own pages:
/// browsers always send `Origin` on such requests, so a missing one is refused too.
fn same_origin(req: &Request) -> ApiResult<()> {
    if origin(req).as_deref() != Some(self_origin(req).as_str()) {
        return Err(cross_origin());
    }
    Ok(())
}

fn signed_session(req: &Request, env: &Env) -> Option<Signed> {
    let token = admin_token(env);
    if token.is_empty() {
        return None;
    }
    let value = crate::http::cookie(req, SESSION_COOKIE)?;
    let (key, now) = (session::key_from_admin_token(&token), ids::now_ms() / 1000);
    session::verify(&key, &value, now).map(Signed::Admin).or_else(|| session::verify_person(&key, &value, now).map(|(id, at)| Signed::Person(id, at)))
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

/// `POST /auth/login {"token"}` (the admin token) or `{"email", "code"}` (a team member's
/// e-mailed code): a session cookie.
pub async fn login(mut req: Request, cx: &Cx) -> ApiResult<Response> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Login {
        token: Option<String>,
        email: Option<String>,
        code: Option<String>,
    }
    // Browsers always send Origin on POST; a foreign one is a login-CSRF attempt.
    if origin(&req).is_some_and(|o| o != self_origin(&req)) {
        return Err(cross_origin());
    }
    let body: Login = json_body(&mut req).await?;
    let token = admin_token(&cx.env);
    let key = session::key_from_admin_token(&token);
    let (value, expires_at, user) = match (body.token, body.email, body.code) {
        (Some(presented), None, None) => {
            if !apikey::token_matches(&presented, &token) {
                return Err(ApiError::new(401, "unauthorized", "that is not the admin token").with_field("token"));
            }
            let expires_at = ids::now_ms() / 1000 + session::LIFETIME_SECS;
            (session::issue(&key, expires_at), expires_at, None)
        }
        (None, Some(email), Some(code)) if !token.is_empty() => {
            let new = people::signin::sign_in(&req, cx, &email, &code).await?;
            (session::issue_person(&key, &new.id, new.expires_at), new.expires_at, Some(new.user.view()))
        }
        _ => return Err(ApiError::malformed("send {\"token\"} or {\"email\", \"code\"}")),
    };
    let mut response = json(200, &json!({"expires_at": time::rfc3339(expires_at * 1000), "user": user}))?;
    response.headers_mut().set("set-cookie", &session_cookie(&req, &value, expires_at - ids::now_ms() / 1000))?;
    Ok(response)
}

/// `POST /auth/logout`: removes the session cookie from the browser (and a person's session row),
/// when asked by this Worker's own pages (a cross-site form must not sign anyone out).
pub async fn logout(req: &Request, cx: &Cx) -> ApiResult<Response> {
    same_origin(req)?;
    if let Some(Signed::Person(id, _)) = signed_session(req, &cx.env) {
        db::run(people::store::delete_session(&cx.db, &id)).await?;
    }
    let mut response = json(200, &json!({"signed_out": true}))?;
    response.headers_mut().set("set-cookie", &session_cookie(req, "", 0))?;
    Ok(response)
}

/// `GET /auth/session`: whether the browser is signed in, until when, as whom, and what they may do
/// (the dashboard disables what the role does not allow; the server decides regardless).
pub async fn current(req: &Request, cx: &Cx) -> ApiResult<Response> {
    let expires_at = match signed_session(req, &cx.env).ok_or_else(ApiError::unauthorized)? {
        Signed::Admin(at) | Signed::Person(_, at) => at,
    };
    let who = require_person(req, cx).await?;
    let user = who.person.as_ref().map(|p| json!({"id": p.user_id, "email": p.email}));
    let permissions: serde_json::Map<String, serde_json::Value> =
        Action::ALL.iter().map(|a| (serde_json::to_value(a).expect("actions serialize").as_str().unwrap_or_default().to_owned(), json!(team::permits(who.role, who.programs.as_deref(), None, *a).is_ok()))).collect();
    json(200, &json!({"expires_at": time::rfc3339(expires_at * 1000), "user": user, "role": who.role, "programs": who.programs, "permissions": permissions}))
}

/// Resolves a program API key to its program id and the key as an actor. Unknown and revoked keys are
/// both plain 401s. `last_used_at` is refreshed at most once a minute, after
/// the response, so key checks add no write to the request.
/// A key outside `required` is `403 insufficient_scope`; an expired key is a 401.
pub async fn require_program_key(req: &Request, cx: &Cx, required: Option<KeyScope>) -> ApiResult<(String, Actor)> {
    let presented = bearer(req).ok_or_else(ApiError::unauthorized)?;
    if !presented.starts_with(apikey::KEY_PREFIX) {
        return Err(ApiError::unauthorized());
    }
    let row = api_keys::store::by_hash(&cx.db, &apikey::hash(&presented)).await?.ok_or_else(ApiError::unauthorized)?;
    if !apikey::matches(&presented, &row.hash) {
        return Err(ApiError::unauthorized());
    }
    let now = ids::now_ms();
    if team::key_expired(row.expires_at, now) {
        return Err(ApiError::new(401, "unauthorized", "this API key expired"));
    }
    if !team::key_allows(&team::scopes_from_string(&row.scopes), required) {
        let scope = required.map_or("", KeyScope::as_str);
        return Err(ApiError::new(403, "insufficient_scope", format!("this API key lacks the scope {scope}")).with_required(scope));
    }
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
