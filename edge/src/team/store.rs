//! The team in D1: people, invitations and sessions.

use super::model::{InvitationRow, SessionRow, UserRow};
use crate::db::{self, Stmt};
use crate::error::ApiResult;
use crate::sql;
use serde::Deserialize;
use worker::D1Database;

const USER: &str = "SELECT id, email, role, programs, created_at, last_sign_in_at FROM users";
const INVITATION: &str = "SELECT id, email, role, programs, invited_by, created_at, expires_at FROM invitations";
const SESSION: &str = "SELECT s.id, s.user_id, u.email, u.role, u.programs, s.created_at, s.expires_at, s.user_agent FROM team_sessions s JOIN users u ON u.id = s.user_id";

pub async fn users(db: &D1Database) -> ApiResult<Vec<UserRow>> {
    db::all(sql!(db, &format!("{USER} ORDER BY created_at, id"))).await
}

pub async fn user(db: &D1Database, id: &str) -> ApiResult<Option<UserRow>> {
    db::first(sql!(db, &format!("{USER} WHERE id = ?1"), id)).await
}

pub async fn user_by_email(db: &D1Database, email: &str) -> ApiResult<Option<UserRow>> {
    db::first(sql!(db, &format!("{USER} WHERE email = lower(?1)"), email)).await
}

pub async fn owners(db: &D1Database) -> ApiResult<usize> {
    #[derive(Deserialize)]
    struct N {
        n: i64,
    }
    let row: Option<N> = db::first(sql!(db, "SELECT count(*) AS n FROM users WHERE role = 'owner'")).await?;
    Ok(row.map_or(0, |r| r.n as usize))
}

pub fn insert_user(db: &D1Database, id: &str, email: &str, role: &str, programs: Option<&str>, now: i64) -> Stmt {
    sql!(db, "INSERT INTO users (id, email, role, programs, created_at, last_sign_in_at) VALUES (?1, lower(?2), ?3, ?4, ?5, ?5)", id, email, role, programs, now)
}

pub fn update_user(db: &D1Database, id: &str, role: &str, programs: Option<&str>) -> Stmt {
    sql!(db, "UPDATE users SET role = ?2, programs = ?3 WHERE id = ?1", id, role, programs)
}

/// Removes a person and every session of theirs (so a cookie of theirs is refused at once).
pub fn delete_user(db: &D1Database, id: &str) -> Vec<Stmt> {
    vec![sql!(db, "DELETE FROM team_sessions WHERE user_id = ?1", id), sql!(db, "DELETE FROM users WHERE id = ?1", id)]
}

/// Rolls the batch back when it would leave the team without an owner (two owners demoting each other at once).
pub fn owner_guard(db: &D1Database) -> Stmt {
    sql!(db, "INSERT INTO guards (ok) SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'owner')")
}

pub fn signed_in(db: &D1Database, id: &str, now: i64) -> Stmt {
    sql!(db, "UPDATE users SET last_sign_in_at = ?2 WHERE id = ?1", id, now)
}

/// Open invitations, oldest first.
pub async fn invitations(db: &D1Database, now: i64) -> ApiResult<Vec<InvitationRow>> {
    db::all(sql!(db, &format!("{INVITATION} WHERE expires_at > ?1 ORDER BY created_at, id"), now)).await
}

pub async fn invitation(db: &D1Database, id: &str) -> ApiResult<Option<InvitationRow>> {
    db::first(sql!(db, &format!("{INVITATION} WHERE id = ?1"), id)).await
}

pub async fn live_invitation(db: &D1Database, email: &str, now: i64) -> ApiResult<Option<InvitationRow>> {
    db::first(sql!(db, &format!("{INVITATION} WHERE email = lower(?1) AND expires_at > ?2"), email, now)).await
}

/// Invites the address (again: the new invitation replaces the old one).
pub fn put_invitation(db: &D1Database, row: &InvitationRow) -> Stmt {
    sql!(
        db,
        "INSERT INTO invitations (id, email, role, programs, invited_by, created_at, expires_at) VALUES (?1, lower(?2), ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (email) DO UPDATE SET id = ?1, role = ?3, programs = ?4, invited_by = ?5, created_at = ?6, expires_at = ?7",
        &row.id,
        &row.email,
        &row.role,
        row.programs.as_deref(),
        &row.invited_by,
        row.created_at,
        row.expires_at
    )
}

pub fn delete_invitation(db: &D1Database, id: &str) -> Stmt {
    sql!(db, "DELETE FROM invitations WHERE id = ?1", id)
}

pub fn insert_session(db: &D1Database, id: &str, user_id: &str, now: i64, expires_at: i64, user_agent: Option<&str>) -> Stmt {
    sql!(db, "INSERT INTO team_sessions (id, user_id, created_at, expires_at, user_agent) VALUES (?1, ?2, ?3, ?4, ?5)", id, user_id, now, expires_at, user_agent)
}

/// A live session and its person: what every request with a person's cookie reads.
pub async fn session(db: &D1Database, id: &str, now: i64) -> ApiResult<Option<SessionRow>> {
    db::first(sql!(db, &format!("{SESSION} WHERE s.id = ?1 AND s.expires_at > ?2"), id, now)).await
}

/// Live sessions, newest first: one person's, or everyone's.
pub async fn sessions(db: &D1Database, user_id: Option<&str>, now: i64) -> ApiResult<Vec<SessionRow>> {
    db::all(sql!(db, &format!("{SESSION} WHERE s.expires_at > ?1 AND (?2 IS NULL OR s.user_id = ?2) ORDER BY s.created_at DESC, s.id"), now, user_id)).await
}

pub fn delete_session(db: &D1Database, id: &str) -> Stmt {
    sql!(db, "DELETE FROM team_sessions WHERE id = ?1", id)
}

/// Drops expired sessions and invitations (the scheduled run).
pub async fn prune(db: &D1Database, now: i64) -> ApiResult<()> {
    db::batch(db, vec![sql!(db, "DELETE FROM team_sessions WHERE expires_at <= ?1", now), sql!(db, "DELETE FROM invitations WHERE expires_at <= ?1", now)]).await?;
    Ok(())
}
