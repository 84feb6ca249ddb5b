//! The team (docs/team.md): `GET /v1/team`, invitations, a person's role and program
//! limit, removal, and dashboard sessions (`/auth/sessions`). Who may do what is
//! `edgeref_shared::team`'s; the router has already checked the route's action.

pub mod model;
pub mod signin;
pub mod store;

use crate::context::Cx;
use crate::db::{self, Stmt};
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::outbox::senders::email::link_origin;
use crate::tracking::limits;
use crate::programs::store as program_rows;
use crate::{audit, ids, outbox};
use edgeref_shared::audit::Actor;
use edgeref_shared::email::Message;
use edgeref_shared::team::{self, Refusal, Role, INVITATION_TTL_MS};
use edgeref_shared::validate;
use model::{programs_column, Grant, InvitationRow, Who};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

/// Team-level audit entries (sign-ins, invitations, roles, removals) belong to no program:
/// they are kept under this empty program id and read at `GET /v1/team/audit-log`.
pub const TEAM: &str = "";

/// A team-level audit entry by a named actor (sign-ins, before any caller is set).
pub fn audit_team(cx: &Cx, req: &Request, actor: &Actor, action: &str, target: (&str, &str), diff: serde_json::Value) -> Stmt {
    let ip = cx.ip_hash(&limits::header(req, "cf-connecting-ip"));
    audit::record_as(cx, TEAM, actor, ip.as_deref(), action, target, diff)
}

/// `GET /v1/team`: people and open invitations.
pub async fn get(cx: &Cx) -> ApiResult<Response> {
    let users: Vec<_> = store::users(&cx.db).await?.iter().map(|u| u.view()).collect();
    let invitations: Vec<_> = store::invitations(&cx.db, ids::now_ms()).await?.iter().map(|i| i.view()).collect();
    json(200, &json!({"data": users, "invitations": invitations}))
}

fn parse_role(role: &str) -> ApiResult<Role> {
    Role::parse(role).ok_or_else(|| ApiError::invalid("role", "must be one of owner, admin, member, billing, viewer"))
}

/// A program limit: ids of existing programs, or `null` for every program; never beyond the
/// caller's own limit.
async fn parse_programs(cx: &Cx, who: &Who, programs: Option<Vec<String>>) -> ApiResult<Option<Vec<String>>> {
    if !team::grant_within(who.programs.as_deref(), programs.as_deref()) {
        return Err(forbidden("you can only grant programs you see yourself").with_field("programs"));
    }
    let Some(mut ids) = programs else { return Ok(None) };
    ids.sort();
    ids.dedup();
    let known: Vec<String> = program_rows::list(&cx.db).await?.into_iter().map(|p| p.id).collect();
    if let Some(unknown) = ids.iter().find(|id| !known.contains(id)) {
        return Err(ApiError::invalid("programs", format!("no program {unknown}")));
    }
    Ok(Some(ids))
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(403, "forbidden", message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Invite {
    email: String,
    role: String,
    #[serde(default)]
    programs: Option<Vec<String>>,
}

/// `POST /v1/team/invitations {"email", "role", "programs"?}`: `201`, and an e-mail with a link
/// to the dashboard; valid 7 days, accepted by the address's first sign-in by code.
pub async fn invite(mut req: Request, cx: &Cx, who: &Who) -> ApiResult<Response> {
    let body: Invite = json_body(&mut req).await?;
    let email = validate::email("email", &body.email)?.to_lowercase();
    let role = parse_role(&body.role)?;
    let programs = parse_programs(cx, who, body.programs).await?;
    if !team::invite_allowed(who.team_role(), role) {
        return Err(forbidden("only an owner invites owners"));
    }
    if store::user_by_email(&cx.db, &email).await?.is_some() {
        return Err(ApiError::conflict("that address is on the team already").with_field("email"));
    }
    let now = ids::now_ms();
    let row = InvitationRow {
        id: ids::new_id("inv"),
        email,
        role: role.as_str().to_owned(),
        programs: programs_column(programs.as_deref()),
        invited_by: who.actor.name().unwrap_or(who.actor.id()).to_owned(),
        created_at: now,
        expires_at: now + INVITATION_TTL_MS,
    };
    let link = format!("{}/#email={}", link_origin(&cx.env, Some(&cx.origin)), percent_encoding::utf8_percent_encode(&row.email, percent_encoding::NON_ALPHANUMERIC));
    let out = outbox::email(&cx.db, TEAM, Message::SignInCode, &json!({"to": row.email, "team": "invitation", "role": row.role, "link": link}));
    let mut stmts = vec![store::put_invitation(&cx.db, &row)];
    stmts.extend(audit::record(cx, TEAM, "team.invited", ("invitation", &row.id), json!({"email": row.email, "role": row.role, "programs": programs})));
    stmts.extend(out.statements);
    db::batch(&cx.db, stmts).await?;
    outbox::dispatch(cx, vec![out.id]);
    json(201, &row.view())
}

/// `DELETE /v1/team/invitations/{id}`.
pub async fn revoke_invitation(cx: &Cx, who: &Who, id: &str) -> ApiResult<Response> {
    let row = store::invitation(&cx.db, id).await?.ok_or_else(|| ApiError::not_found("invitation"))?;
    if !team::invite_allowed(who.team_role(), row.role()) {
        return Err(forbidden("only an owner revokes an owner's invitation"));
    }
    let mut stmts = vec![store::delete_invitation(&cx.db, id)];
    stmts.extend(audit::record(cx, TEAM, "team.invitation_revoked", ("invitation", id), json!({"email": row.email, "role": row.role})));
    db::batch(&cx.db, stmts).await?;
    json(200, &json!({"id": id, "deleted": true}))
}

/// The team rule's refusal as the API's error.
fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::Forbidden => forbidden("only an owner makes, changes or removes owners"),
        Refusal::LastOwner => ApiError::conflict("the team's last owner cannot be removed or demoted: make someone else an owner first"),
    }
}

/// Checks a change to a person against the team rules; adds the last-owner guard to `stmts` when an owner is touched.
async fn checked_change(cx: &Cx, who: &Who, from: Role, to: Option<Role>, stmts: &mut Vec<Stmt>) -> ApiResult<()> {
    team::change_allowed(who.team_role(), from, to, store::owners(&cx.db).await?).map_err(refused)?;
    if from == Role::Owner {
        stmts.push(store::owner_guard(&cx.db));
    }
    Ok(())
}

async fn batch_guarded(cx: &Cx, stmts: Vec<Stmt>) -> ApiResult<()> {
    db::batch(&cx.db, stmts).await.map_err(|e| if e.conflicts_on("guards.ok") { refused(Refusal::LastOwner) } else { e.into() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateUser {
    role: Option<String>,
    /// Absent: unchanged; `null`: every program; a list: only those.
    #[serde(default, deserialize_with = "present")]
    programs: Option<Option<Vec<String>>>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// `PATCH /v1/team/users/{id} {"role"?, "programs"?}`.
pub async fn update_user(mut req: Request, cx: &Cx, who: &Who, id: &str) -> ApiResult<Response> {
    let body: UpdateUser = json_body(&mut req).await?;
    let user = store::user(&cx.db, id).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let role = match &body.role {
        Some(r) => parse_role(r)?,
        None => user.role(),
    };
    let programs = match body.programs {
        Some(p) => parse_programs(cx, who, p).await?,
        None => user.programs(),
    };
    let mut stmts = Vec::new();
    checked_change(cx, who, user.role(), Some(role), &mut stmts).await?;
    let column = programs_column(programs.as_deref());
    let before = json!({"role": user.role, "programs": user.programs()});
    let after = json!({"role": role.as_str(), "programs": programs});
    stmts.insert(0, store::update_user(&cx.db, id, role.as_str(), column.as_deref()));
    stmts.extend(audit::record(cx, TEAM, "team.user_updated", ("user", id), audit::changed(&before, &after)));
    batch_guarded(cx, stmts).await?;
    let updated = store::user(&cx.db, id).await?.ok_or_else(|| ApiError::not_found("user"))?;
    json(200, &updated.view())
}

/// `DELETE /v1/team/users/{id}`: the person and every session of theirs, at once.
pub async fn remove_user(cx: &Cx, who: &Who, id: &str) -> ApiResult<Response> {
    let user = store::user(&cx.db, id).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let mut stmts = store::delete_user(&cx.db, id);
    checked_change(cx, who, user.role(), None, &mut stmts).await?;
    stmts.extend(audit::record(cx, TEAM, "team.user_removed", ("user", id), json!({"email": user.email, "role": user.role})));
    batch_guarded(cx, stmts).await?;
    json(200, &json!({"id": id, "deleted": true}))
}

/// Whether `who` sees every session (owners and the admin token) or only their own.
fn sees_all_sessions(who: &Who) -> bool {
    team::allows(who.role, team::Action::Owners)
}

/// `GET /auth/sessions`: the caller's own live sessions; an owner's list has everyone's.
pub async fn sessions(cx: &Cx, who: &Who) -> ApiResult<Response> {
    // Only people are not owners (the admin token is one), so a narrowed list always names its person.
    let filter = who.person.as_ref().map(|p| p.user_id.as_str()).filter(|_| !sees_all_sessions(who));
    let current = who.person.as_ref().map(|p| p.session_id.as_str());
    let data: Vec<_> = store::sessions(&cx.db, filter, ids::now_ms()).await?.iter().map(|s| s.view(current)).collect();
    json(200, &json!({"data": data}))
}

/// `DELETE /auth/sessions/{id}`: signs that session out at once (another person's: owners only).
pub async fn revoke_session(cx: &Cx, who: &Who, id: &str) -> ApiResult<Response> {
    let session = store::session(&cx.db, id, ids::now_ms()).await?.ok_or_else(|| ApiError::not_found("session"))?;
    let own = who.person.as_ref().is_some_and(|p| p.user_id == session.user_id);
    if !own && !sees_all_sessions(who) {
        return Err(ApiError::not_found("session"));
    }
    let mut stmts = vec![store::delete_session(&cx.db, id)];
    stmts.extend(audit::record(cx, TEAM, "team.session_revoked", ("session", id), json!({"email": session.email})));
    db::batch(&cx.db, stmts).await?;
    json(200, &json!({"id": id, "deleted": true}))
}
