//! Team rows as stored and as the API shows them, and `Who`: the signed-in caller.

use edgeref_shared::audit::Actor;
use edgeref_shared::team::Role;
use edgeref_shared::time;
use serde::Deserialize;
use serde_json::{json, Value};

/// Who a signed-in request is from: the admin token (or its session), an owner
/// without program limit, or a person with their role and program limit.
#[derive(Debug, Clone)]
pub struct Who {
    pub actor: Actor,
    pub role: Role,
    /// `None`: every program.
    pub programs: Option<Vec<String>>,
    /// The person and their session; `None` for the admin token.
    pub person: Option<Person>,
}

#[derive(Debug, Clone)]
pub struct Person {
    pub user_id: String,
    pub email: String,
    pub session_id: String,
}

impl Who {
    /// The admin token, by bearer (`Actor::Admin`) or its dashboard session (`Actor::Session`).
    pub fn admin(actor: Actor) -> Who {
        Who { actor, role: Role::Owner, programs: None, person: None }
    }

    /// The caller's role for the team rules: `None` for the admin token (the break-glass owner).
    pub fn team_role(&self) -> Option<Role> {
        self.person.as_ref().map(|_| self.role)
    }
}

/// A program limit as stored: a JSON array, or NULL for every program.
pub fn programs_column(programs: Option<&[String]>) -> Option<String> {
    programs.map(|p| serde_json::to_string(p).expect("strings serialize"))
}

/// A role and a program limit as stored: a person's, an invitation's, a session's person's.
pub trait Grant {
    fn stored(&self) -> (&str, Option<&str>);

    /// An unknown stored role reads as the least one.
    fn role(&self) -> Role {
        Role::parse(self.stored().0).unwrap_or(Role::Viewer)
    }

    fn programs(&self) -> Option<Vec<String>> {
        self.stored().1.map(|s| serde_json::from_str(s).unwrap_or_default())
    }
}

impl Grant for UserRow {
    fn stored(&self) -> (&str, Option<&str>) {
        (&self.role, self.programs.as_deref())
    }
}

impl Grant for InvitationRow {
    fn stored(&self) -> (&str, Option<&str>) {
        (&self.role, self.programs.as_deref())
    }
}

impl Grant for SessionRow {
    fn stored(&self) -> (&str, Option<&str>) {
        (&self.role, self.programs.as_deref())
    }
}

#[derive(Debug, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub role: String,
    pub programs: Option<String>,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

impl UserRow {
    pub fn view(&self) -> Value {
        json!({
            "id": self.id, "email": self.email, "role": self.role, "programs": self.programs(),
            "created_at": time::rfc3339(self.created_at), "last_sign_in_at": self.last_sign_in_at.map(time::rfc3339),
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct InvitationRow {
    pub id: String,
    pub email: String,
    pub role: String,
    pub programs: Option<String>,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl InvitationRow {
    pub fn view(&self) -> Value {
        json!({
            "id": self.id, "email": self.email, "role": self.role, "programs": self.programs(), "invited_by": self.invited_by,
            "created_at": time::rfc3339(self.created_at), "expires_at": time::rfc3339(self.expires_at),
        })
    }
}

/// A live session with the person it belongs to.
#[derive(Debug, Deserialize)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub programs: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub user_agent: Option<String>,
}

impl SessionRow {
    pub fn who(self) -> Who {
        let (role, programs) = (self.role(), self.programs());
        let person = Person { user_id: self.user_id.clone(), email: self.email.clone(), session_id: self.id };
        Who { actor: Actor::Person { id: self.user_id, email: self.email }, role, programs, person: Some(person) }
    }

    pub fn view(&self, current: Option<&str>) -> Value {
        json!({
            "id": self.id, "user_id": self.user_id, "email": self.email, "user_agent": self.user_agent,
            "created_at": time::rfc3339(self.created_at), "expires_at": time::rfc3339(self.expires_at), "current": current == Some(self.id.as_str()),
        })
    }
}
