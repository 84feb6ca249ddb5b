//! Team sign-in by e-mail code: `POST /auth/code` sends a six-digit code (10 minutes,
//! five tries) to a team member's or an invited address, from `EMAIL_FROM`;
//! `POST /auth/login {"email", "code"}` spends it for a session row (the cookie is
//! `auth`'s). An invitation is accepted by its address's first sign-in. Nothing here
//! tells anyone whether an address is on the team.

use super::model::{Grant, UserRow};
use super::{audit_team, store, TEAM};
use crate::context::{worker_secret, Cx};
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::portal::store as codes;
use crate::tracking::limits;
use crate::{db, ids, outbox, sealed};
use edgeref_shared::audit::Actor;
use edgeref_shared::email::Message;
use edgeref_shared::portal::{code_hash, code_matches, six_digits, CODE_TRIES, CODE_TTL_MS};
use edgeref_shared::team::CODE_SCOPE;
use edgeref_shared::{session, validate};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

/// Limits per 10-minute window, as the portal's: code requests per IP and per address, sign-in attempts per IP.
const WINDOW_MS: i64 = 10 * 60 * 1000;
const CODES_PER_IP: i64 = 20;
const CODES_PER_ADDRESS: i64 = 5;
const ATTEMPTS_PER_IP: i64 = 40;

async fn limit(cx: &Cx, what: &str, who: &str, limit: i64) -> ApiResult<()> {
    if codes::count(&cx.db, &format!("{what}:{CODE_SCOPE}:{who}"), ids::now_ms() / WINDOW_MS).await? > limit {
        return Err(ApiError::new(429, "rate_limited", "too many tries; wait ten minutes and try again"));
    }
    Ok(())
}

fn client_ip(req: &Request, cx: &Cx) -> String {
    cx.ip_hash(&limits::header(req, "cf-connecting-ip")).unwrap_or_default()
}

fn secret(cx: &Cx) -> ApiResult<String> {
    worker_secret(&cx.env).ok_or_else(|| ApiError::unavailable("sign-in codes", "neither SECRETS_KEY nor ADMIN_TOKEN is set"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    email: String,
}

/// `POST /auth/code {"email"}`: always `202`; a team member or an invited address gets a code.
pub async fn send_code(mut req: Request, cx: &Cx) -> ApiResult<Response> {
    // Only the dashboard's own page may ask: no other site spends a person's code requests.
    if req.headers().get("origin").ok().flatten().is_some_and(|o| o != crate::http::self_origin(&req)) {
        return Err(ApiError::new(403, "forbidden", "cross-origin request refused"));
    }
    let body: CodeRequest = json_body(&mut req).await?;
    let address = validate::email("email", &body.email)?.to_lowercase();
    limit(cx, "code-ip", &client_ip(&req, cx), CODES_PER_IP).await?;
    limit(cx, "code-address", &address, CODES_PER_ADDRESS).await?;
    let accepted = json(202, &json!({"ok": true}));
    let now = ids::now_ms();
    if store::user_by_email(&cx.db, &address).await?.is_none() && store::live_invitation(&cx.db, &address, now).await?.is_none() {
        return accepted;
    }
    let code = six_digits(u64::from_le_bytes(ids::random::<8>()));
    let hash = code_hash(&secret(cx)?, CODE_SCOPE, &address, &code);
    let out = outbox::email(&cx.db, TEAM, Message::SignInCode, &json!({"to": address, "team": "sign_in_code", "code": sealed::seal(&cx.env, &code)?}));
    let mut stmts = vec![codes::put_code(&cx.db, CODE_SCOPE, &address, &hash, CODE_TRIES, now + CODE_TTL_MS)];
    stmts.extend(out.statements);
    db::batch(&cx.db, stmts).await?;
    outbox::dispatch(cx, vec![out.id]);
    accepted
}

fn invalid_code() -> ApiError {
    ApiError::new(400, "invalid_code", "wrong or expired code: ask for a new one")
}

/// A new session: its row is written, the cookie is for `auth` to set.
pub struct NewSession {
    pub id: String,
    pub expires_at: i64,
    pub user: UserRow,
}

/// Checks an e-mailed code and opens a session for its person (accepting their invitation
/// first, if that is what they have). Failed tries of a team member are audited.
pub async fn sign_in(req: &Request, cx: &Cx, email: &str, code: &str) -> ApiResult<NewSession> {
    limit(cx, "sign-in-ip", &client_ip(req, cx), ATTEMPTS_PER_IP).await?;
    let address = validate::email("email", email).map_err(|_| invalid_code())?.to_lowercase();
    let secret = secret(cx).map_err(|_| invalid_code())?;
    let now = ids::now_ms();
    let user = store::user_by_email(&cx.db, &address).await?;
    let stored = codes::spend_try(&cx.db, CODE_SCOPE, &address, now).await?;
    let genuine = stored.as_deref().is_some_and(|s| code_matches(&secret, CODE_SCOPE, &address, code, s));
    if !genuine || !codes::consume(&cx.db, CODE_SCOPE, &address, stored.as_deref().unwrap_or_default()).await? {
        if let Some(u) = &user {
            let actor = Actor::Person { id: u.id.clone(), email: u.email.clone() };
            db::run(audit_team(cx, req, &actor, "team.sign_in_failed", ("user", &u.id), json!({}))).await?;
        }
        return Err(invalid_code());
    }
    let (id, expires_at) = (ids::new_id("ses"), now / 1000 + session::LIFETIME_SECS);
    let user_agent: String = limits::header(req, "user-agent").chars().take(200).collect();
    let (user, mut stmts) = match user {
        Some(u) => (u, Vec::new()),
        None => accept_invitation(req, cx, &address, now).await?,
    };
    let actor = Actor::Person { id: user.id.clone(), email: user.email.clone() };
    stmts.push(store::insert_session(&cx.db, &id, &user.id, now, expires_at * 1000, Some(&user_agent)));
    stmts.push(store::signed_in(&cx.db, &user.id, now));
    stmts.push(audit_team(cx, req, &actor, "team.signed_in", ("session", &id), json!({})));
    db::batch(&cx.db, stmts).await?;
    Ok(NewSession { id, expires_at, user })
}

/// The invited address becomes a person with the invitation's role and programs.
async fn accept_invitation(req: &Request, cx: &Cx, address: &str, now: i64) -> ApiResult<(UserRow, Vec<db::Stmt>)> {
    let invitation = store::live_invitation(&cx.db, address, now).await?.ok_or_else(invalid_code)?;
    let user = UserRow { id: ids::new_id("usr"), email: address.to_owned(), role: invitation.role.clone(), programs: invitation.programs.clone(), created_at: now, last_sign_in_at: Some(now) };
    let actor = Actor::Person { id: user.id.clone(), email: user.email.clone() };
    let stmts = vec![
        store::insert_user(&cx.db, &user.id, &user.email, &user.role, user.programs.as_deref(), now),
        store::delete_invitation(&cx.db, &invitation.id),
        audit_team(cx, req, &actor, "team.invitation_accepted", ("user", &user.id), json!({"role": user.role, "programs": user.programs(), "invitation": invitation.id})),
    ];
    Ok((user, stmts))
}
