//! Team accounts' rules: what each role may do (`allows`, one table), which
//! programs a person sees, the scopes an API key may hold and which scope a
//! program-API route needs, and the last-owner rule. The router asks these for
//! every request; nothing here reads a database.
//!
//! ```
//! use edgeref_shared::team::{allows, Action, Role};
//! assert!(allows(Role::Billing, Action::Payouts));
//! assert!(!allows(Role::Billing, Action::UpdateProgram), "billing cannot change tracking");
//! assert!(!allows(Role::Viewer, Action::Customers), "a viewer writes nowhere");
//! ```

use crate::email::Rendered;
use serde::{Deserialize, Serialize};

/// A team member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything.
    Owner,
    /// Everything but making, changing or removing owners.
    Admin,
    /// Program settings, customers, transactions, reward review.
    Member,
    /// Rewards, payables, payouts, exports; reads the rest.
    Billing,
    /// Reads only.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Owner, Role::Admin, Role::Member, Role::Billing, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Billing => "billing",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a route does, as the permission table knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Any read: programs, stats, customers, transactions, rewards, payouts, logs, the team.
    Read,
    /// A person's own sessions (list, sign out of one).
    OwnSessions,
    CreateProgram,
    /// Program settings: tracking, rewards, e-mail settings, templates, suppressions, test e-mails.
    UpdateProgram,
    DeleteProgram,
    /// Customers: create, import, change, delete, portal tokens, server-side sign-ups.
    Customers,
    Transactions,
    /// Reward review (approve, reject) and crediting a customer.
    Rewards,
    Payouts,
    /// CSV exports (every customer's data leaves with one).
    Exports,
    ApiKeys,
    Webhooks,
    Integrations,
    /// Invitations, roles and program limits of non-owners, removals, others' sessions.
    Team,
    /// Making, changing or removing an owner.
    Owners,
}

impl Action {
    pub const ALL: [Action; 15] = [
        Action::Read,
        Action::OwnSessions,
        Action::CreateProgram,
        Action::UpdateProgram,
        Action::DeleteProgram,
        Action::Customers,
        Action::Transactions,
        Action::Rewards,
        Action::Payouts,
        Action::Exports,
        Action::ApiKeys,
        Action::Webhooks,
        Action::Integrations,
        Action::Team,
        Action::Owners,
    ];
}

/// THE permission table: whether `role` may do `action`. docs/team.md prints it.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Owner => true,
        Role::Admin => action != Owners,
        Role::Member => matches!(action, Read | OwnSessions | UpdateProgram | Customers | Transactions | Rewards),
        Role::Billing => matches!(action, Read | OwnSessions | Rewards | Payouts | Exports),
        Role::Viewer => matches!(action, Read | OwnSessions),
    }
}

/// Whether a person limited to `programs` (`None`: every program) sees the program `id`.
pub fn sees(programs: Option<&[String]>, id: &str) -> bool {
    programs.is_none_or(|ids| ids.iter().any(|p| p == id))
}

/// Whether someone may create programs: the role allows it and no program limit binds them
/// (a program they created would be invisible to them).
pub fn may_create_program(role: Role, programs: Option<&[String]>) -> bool {
    allows(role, Action::CreateProgram) && programs.is_none()
}

/// Why a request is refused before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// `404`: the program is outside the person's program limit (they cannot tell it exists).
    Invisible,
    /// `403 forbidden`: the role does not allow the action.
    Forbidden,
}

/// The router's whole decision for a person (the admin token is an unlimited owner):
/// may someone with `role`, limited to `programs`, do `action` on `program`?
pub fn permits(role: Role, programs: Option<&[String]>, program: Option<&str>, action: Action) -> Result<(), Denial> {
    if program.is_some_and(|id| !sees(programs, id)) {
        return Err(Denial::Invisible);
    }
    let allowed = if action == Action::CreateProgram { may_create_program(role, programs) } else { allows(role, action) };
    allowed.then_some(()).ok_or(Denial::Forbidden)
}

/// An API key's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyScope {
    CustomersRead,
    CustomersWrite,
    TransactionsRead,
    TransactionsWrite,
    RewardsRead,
    RewardsWrite,
    PayoutsWrite,
    ExportsRead,
    PortalTokensWrite,
    WebhooksRead,
    WebhooksWrite,
}

impl KeyScope {
    /// Every scope: what a key created without `scopes` gets (and every key made before scopes).
    pub const ALL: [KeyScope; 11] = [
        KeyScope::CustomersRead,
        KeyScope::CustomersWrite,
        KeyScope::TransactionsRead,
        KeyScope::TransactionsWrite,
        KeyScope::RewardsRead,
        KeyScope::RewardsWrite,
        KeyScope::PayoutsWrite,
        KeyScope::ExportsRead,
        KeyScope::PortalTokensWrite,
        KeyScope::WebhooksRead,
        KeyScope::WebhooksWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::CustomersRead => "customers:read",
            KeyScope::CustomersWrite => "customers:write",
            KeyScope::TransactionsRead => "transactions:read",
            KeyScope::TransactionsWrite => "transactions:write",
            KeyScope::RewardsRead => "rewards:read",
            KeyScope::RewardsWrite => "rewards:write",
            KeyScope::PayoutsWrite => "payouts:write",
            KeyScope::ExportsRead => "exports:read",
            KeyScope::PortalTokensWrite => "portal_tokens:write",
            KeyScope::WebhooksRead => "webhooks:read",
            KeyScope::WebhooksWrite => "webhooks:write",
        }
    }

    pub fn parse(s: &str) -> Option<KeyScope> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What a person's role must allow for them to give a key this scope.
    pub fn action(self) -> Action {
        match self {
            KeyScope::CustomersRead | KeyScope::TransactionsRead | KeyScope::RewardsRead | KeyScope::WebhooksRead => Action::Read,
            KeyScope::CustomersWrite | KeyScope::PortalTokensWrite => Action::Customers,
            KeyScope::TransactionsWrite => Action::Transactions,
            KeyScope::RewardsWrite => Action::Rewards,
            KeyScope::PayoutsWrite => Action::Payouts,
            KeyScope::ExportsRead => Action::Exports,
            KeyScope::WebhooksWrite => Action::Webhooks,
        }
    }
}

/// The scopes a key is stored with: a comma-separated list, in `ALL`'s order.
pub fn scopes_to_string(scopes: &[KeyScope]) -> String {
    let mut sorted = scopes.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

/// Back from `scopes_to_string` (unknown names are dropped: a scope only ever narrows).
pub fn scopes_from_string(stored: &str) -> Vec<KeyScope> {
    let mut scopes: Vec<KeyScope> = stored.split(',').filter_map(KeyScope::parse).collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// The first scope in `scopes` that `role` could not give a key, if any.
pub fn scope_beyond_role(role: Role, scopes: &[KeyScope]) -> Option<KeyScope> {
    scopes.iter().copied().find(|s| !allows(role, s.action()))
}

/// Whether a key with `scopes` may make a request needing `required` (`None`: any key).
pub fn key_allows(scopes: &[KeyScope], required: Option<KeyScope>) -> bool {
    required.is_none_or(|r| scopes.contains(&r))
}

/// A key past its `expires_at` (ms) is refused (`401`), from that millisecond on.
pub fn key_expired(expires_at: Option<i64>, now: i64) -> bool {
    expires_at.is_some_and(|at| now >= at)
}

/// Why a change to the team is refused, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `403 forbidden`: the caller's role does not allow it.
    Forbidden,
    /// `409`: it would leave the team without an owner.
    LastOwner,
}

/// Whether `actor` (`None`: the admin token, the break-glass owner) may change a person
/// whose role is `from` into `to` (`None`: remove them), with `owners` owners on the team now.
/// Only an owner makes, changes or removes owners; the last owner stays, whoever asks.
pub fn change_allowed(actor: Option<Role>, from: Role, to: Option<Role>, owners: usize) -> Result<(), Refusal> {
    let touches_owner = from == Role::Owner || to == Some(Role::Owner);
    if let Some(role) = actor {
        if !allows(role, Action::Team) || (touches_owner && !allows(role, Action::Owners)) {
            return Err(Refusal::Forbidden);
        }
    }
    if from == Role::Owner && to != Some(Role::Owner) && owners <= 1 {
        return Err(Refusal::LastOwner);
    }
    Ok(())
}

/// Whether `actor` may invite someone as `role` (admins invite everyone but owners).
pub fn invite_allowed(actor: Option<Role>, role: Role) -> bool {
    actor.is_none_or(|a| allows(a, Action::Team) && (role != Role::Owner || allows(a, Action::Owners)))
}

/// Whether someone limited to `actor` (`None`: every program) may give a person the limit
/// `granted`: only programs they see themselves, so a limited admin never widens anyone's reach.
pub fn grant_within(actor: Option<&[String]>, granted: Option<&[String]>) -> bool {
    match (actor, granted) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(mine), Some(theirs)) => theirs.iter().all(|p| mine.contains(p)),
    }
}

/// How long an invitation stays valid: seven days.
pub const INVITATION_TTL_MS: i64 = 7 * 86_400_000;

/// The pseudo-program team sign-in codes are stored under (program ids are `prg_…`).
pub const CODE_SCOPE: &str = "team";

fn mail(subject: String, text: String) -> Rendered {
    let html = text.split("\n\n").map(|p| format!("<p>{}</p>", html_escape::encode_text(p))).collect::<String>();
    Rendered { subject, text, html }
}

/// The team sign-in code's message (Edgeref's own text: no program's template applies).
pub fn code_mail(code: &str) -> Rendered {
    mail(
        format!("{code} is your Edgeref sign-in code"),
        format!("Your Edgeref sign-in code is {code}\n\nThe code works for 10 minutes. If you did not ask for it, you can ignore this e-mail."),
    )
}

/// An invitation to the team: where to sign in, as what.
pub fn invitation_mail(role: &str, link: &str) -> Rendered {
    mail(
        "You are invited to an Edgeref team".to_owned(),
        format!("You are invited to join an Edgeref team as {role}.\n\nSign in with this address here (a code comes by e-mail):\n\n{link}\n\nThe invitation is valid for 7 days."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Action::*;

    /// The table as docs/team.md prints it: owner, admin, member, billing, viewer.
    const TABLE: [(Action, [bool; 5]); 15] = [
        (Read, [true, true, true, true, true]),
        (OwnSessions, [true, true, true, true, true]),
        (CreateProgram, [true, true, false, false, false]),
        (UpdateProgram, [true, true, true, false, false]),
        (DeleteProgram, [true, true, false, false, false]),
        (Customers, [true, true, true, false, false]),
        (Transactions, [true, true, true, false, false]),
        (Rewards, [true, true, true, true, false]),
        (Payouts, [true, true, false, true, false]),
        (Exports, [true, true, false, true, false]),
        (ApiKeys, [true, true, false, false, false]),
        (Webhooks, [true, true, false, false, false]),
        (Integrations, [true, true, false, false, false]),
        (Team, [true, true, false, false, false]),
        (Owners, [true, false, false, false, false]),
    ];

    #[test]
    fn the_permission_table_is_the_documented_one() {
        assert_eq!(TABLE.map(|(a, _)| a), Action::ALL, "every action, in order");
        for (action, row) in TABLE {
            for (role, expected) in Role::ALL.into_iter().zip(row) {
                assert_eq!(allows(role, action), expected, "{role:?} {action:?}");
            }
        }
    }

    #[test]
    fn roles_read_back_from_their_names_and_nothing_else_does() {
        let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names, ["owner", "admin", "member", "billing", "viewer"]);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(r.as_str()));
        }
        for bad in ["", "Owner", "root", " admin", "viewer "] {
            assert_eq!(Role::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn scopes_read_back_from_their_names() {
        let names: Vec<_> = KeyScope::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "customers:read",
                "customers:write",
                "transactions:read",
                "transactions:write",
                "rewards:read",
                "rewards:write",
                "payouts:write",
                "exports:read",
                "portal_tokens:write",
                "webhooks:read",
                "webhooks:write"
            ]
        );
        for s in KeyScope::ALL {
            assert_eq!(KeyScope::parse(s.as_str()), Some(s));
        }
        for bad in ["", "customers", "customers:*", "Customers:read", "payouts:read"] {
            assert_eq!(KeyScope::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn stored_scopes_are_sorted_unique_and_unknown_ones_dropped() {
        let s = scopes_to_string(&[KeyScope::WebhooksWrite, KeyScope::CustomersRead, KeyScope::WebhooksWrite]);
        assert_eq!(s, "customers:read,webhooks:write");
        assert_eq!(scopes_from_string(&s), [KeyScope::CustomersRead, KeyScope::WebhooksWrite]);
        assert_eq!(scopes_from_string("admin,customers:read,,customers:read"), [KeyScope::CustomersRead]);
        assert_eq!(scopes_from_string(""), []);
        assert_eq!(scopes_from_string("webhooks:write,customers:read"), [KeyScope::CustomersRead, KeyScope::WebhooksWrite], "read back in order");
        assert_eq!(scopes_from_string(&scopes_to_string(&KeyScope::ALL)), KeyScope::ALL);
    }

    #[test]
    fn each_scope_needs_its_action() {
        let expected = [Read, Customers, Read, Transactions, Read, Rewards, Payouts, Exports, Customers, Read, Webhooks];
        assert_eq!(KeyScope::ALL.map(KeyScope::action), expected);
    }

    #[test]
    fn a_key_never_gets_a_scope_its_creators_role_lacks() {
        assert_eq!(scope_beyond_role(Role::Owner, &KeyScope::ALL), None);
        assert_eq!(scope_beyond_role(Role::Admin, &KeyScope::ALL), None);
        assert_eq!(scope_beyond_role(Role::Viewer, &[KeyScope::CustomersRead, KeyScope::WebhooksRead]), None);
        assert_eq!(scope_beyond_role(Role::Viewer, &[KeyScope::CustomersRead, KeyScope::CustomersWrite]), Some(KeyScope::CustomersWrite));
        assert_eq!(scope_beyond_role(Role::Billing, &[KeyScope::PayoutsWrite, KeyScope::WebhooksWrite]), Some(KeyScope::WebhooksWrite));
        assert_eq!(scope_beyond_role(Role::Member, &[]), None);
    }

    #[test]
    fn a_key_reaches_only_its_scopes() {
        let read_only = [KeyScope::CustomersRead];
        assert!(key_allows(&read_only, Some(KeyScope::CustomersRead)));
        assert!(!key_allows(&read_only, Some(KeyScope::CustomersWrite)));
        assert!(key_allows(&read_only, None));
        assert!(key_allows(&[], None));
        assert!(!key_allows(&[], Some(KeyScope::ExportsRead)));
    }

    #[test]
    fn a_key_expires_at_its_millisecond() {
        assert!(!key_expired(None, i64::MAX));
        assert!(!key_expired(Some(1_000), 999));
        assert!(key_expired(Some(1_000), 1_000));
        assert!(key_expired(Some(1_000), 1_001));
    }

    #[test]
    fn program_limits_hide_other_programs() {
        let one = vec!["prg_a".to_owned()];
        assert!(sees(None, "prg_b"));
        assert!(sees(Some(&one), "prg_a"));
        assert!(!sees(Some(&one), "prg_b"));
        assert!(!sees(Some(&[]), "prg_a"));
        assert!(may_create_program(Role::Admin, None));
        assert!(!may_create_program(Role::Admin, Some(&one)));
        assert!(!may_create_program(Role::Member, None));
    }

    #[test]
    fn a_program_outside_the_limit_is_invisible_before_anything_is_forbidden() {
        let one = vec!["prg_a".to_owned()];
        assert_eq!(permits(Role::Viewer, Some(&one), Some("prg_b"), Read), Err(Denial::Invisible));
        assert_eq!(permits(Role::Viewer, Some(&one), Some("prg_b"), Customers), Err(Denial::Invisible));
        assert_eq!(permits(Role::Viewer, Some(&one), Some("prg_a"), Customers), Err(Denial::Forbidden));
        assert_eq!(permits(Role::Member, Some(&one), Some("prg_a"), Customers), Ok(()));
        assert_eq!(permits(Role::Member, Some(&one), None, Read), Ok(()));
        assert_eq!(permits(Role::Owner, None, Some("prg_b"), Owners), Ok(()));
        assert_eq!(permits(Role::Owner, Some(&one), None, CreateProgram), Err(Denial::Forbidden), "a limited owner creates no program");
        assert_eq!(permits(Role::Owner, None, None, CreateProgram), Ok(()));
    }

    #[test]
    fn the_last_owner_stays_whoever_asks() {
        for actor in [None, Some(Role::Owner)] {
            assert_eq!(change_allowed(actor, Role::Owner, None, 1), Err(Refusal::LastOwner), "{actor:?}");
            assert_eq!(change_allowed(actor, Role::Owner, Some(Role::Admin), 1), Err(Refusal::LastOwner));
            assert_eq!(change_allowed(actor, Role::Owner, Some(Role::Owner), 1), Ok(()), "an owner stays an owner");
            assert_eq!(change_allowed(actor, Role::Owner, None, 2), Ok(()));
            assert_eq!(change_allowed(actor, Role::Owner, Some(Role::Viewer), 2), Ok(()));
        }
        assert_eq!(change_allowed(Some(Role::Owner), Role::Owner, None, 0), Err(Refusal::LastOwner));
    }

    #[test]
    fn admins_manage_everyone_but_owners_and_the_rest_no_one() {
        assert_eq!(change_allowed(Some(Role::Admin), Role::Member, Some(Role::Billing), 1), Ok(()));
        assert_eq!(change_allowed(Some(Role::Admin), Role::Admin, None, 1), Ok(()));
        assert_eq!(change_allowed(Some(Role::Admin), Role::Member, Some(Role::Owner), 1), Err(Refusal::Forbidden));
        assert_eq!(change_allowed(Some(Role::Admin), Role::Owner, None, 2), Err(Refusal::Forbidden));
        assert_eq!(change_allowed(Some(Role::Admin), Role::Owner, Some(Role::Owner), 2), Err(Refusal::Forbidden));
        for role in [Role::Member, Role::Billing, Role::Viewer] {
            assert_eq!(change_allowed(Some(role), Role::Viewer, None, 1), Err(Refusal::Forbidden), "{role:?}");
            assert!(!invite_allowed(Some(role), Role::Viewer));
        }
        assert_eq!(change_allowed(None, Role::Viewer, Some(Role::Owner), 1), Ok(()), "the admin token is an owner");
        assert!(invite_allowed(None, Role::Owner));
        assert!(invite_allowed(Some(Role::Owner), Role::Owner));
        assert!(invite_allowed(Some(Role::Admin), Role::Admin));
        assert!(!invite_allowed(Some(Role::Admin), Role::Owner));
    }

    #[test]
    fn a_limited_person_grants_only_programs_they_see() {
        let (a, ab) = (vec!["prg_a".to_owned()], vec!["prg_a".to_owned(), "prg_b".to_owned()]);
        assert!(grant_within(None, None));
        assert!(grant_within(None, Some(&ab)));
        assert!(!grant_within(Some(&a), None), "not every program");
        assert!(grant_within(Some(&a), Some(&a)));
        assert!(grant_within(Some(&ab), Some(&a)));
        assert!(grant_within(Some(&a), Some(&[])));
        assert!(!grant_within(Some(&a), Some(&ab)));
    }

    #[test]
    fn invitations_last_a_week_and_team_codes_have_their_own_scope() {
        assert_eq!(INVITATION_TTL_MS, 604_800_000);
        assert!(!CODE_SCOPE.starts_with("prg_"));
    }

    #[test]
    fn team_mail_names_the_code_or_the_role_and_escapes_its_html() {
        let m = code_mail("012345");
        assert_eq!(m.subject, "012345 is your Edgeref sign-in code");
        assert!(m.text.starts_with("Your Edgeref sign-in code is 012345\n\n") && m.text.contains("10 minutes"));
        assert!(m.html.starts_with("<p>Your Edgeref sign-in code is 012345</p><p>"));
        let m = invitation_mail("billing", "https://e.example/dashboard/#email=a%40b&x=<y>");
        assert!(m.text.contains("as billing.") && m.text.contains("https://e.example/dashboard/#email=a%40b&x=<y>") && m.text.contains("7 days"));
        assert!(m.html.contains("&lt;y&gt;") && !m.html.contains("<y>"));
        assert_eq!(m.html.matches("<p>").count(), 4);
    }

    fn role() -> impl Strategy<Value = Role> {
        prop::sample::select(Role::ALL.to_vec())
    }

    fn action() -> impl Strategy<Value = Action> {
        prop::sample::select(Action::ALL.to_vec())
    }

    proptest! {
        /// Roles are ordered by what they may do: an owner may do all an admin may, an admin all a member
        /// or billing may, and both all a viewer may; every role reads.
        #[test]
        fn roles_nest(a in action()) {
            prop_assert!(!allows(Role::Admin, a) || allows(Role::Owner, a));
            for lower in [Role::Member, Role::Billing] {
                prop_assert!(!allows(lower, a) || allows(Role::Admin, a));
                prop_assert!(!allows(Role::Viewer, a) || allows(lower, a));
            }
            prop_assert!(allows(Role::Viewer, Read));
        }

        /// Without a program limit, `permits` is the table itself.
        #[test]
        fn unlimited_people_are_decided_by_the_table(r in role(), a in action(), program in prop::option::of("[a-z_]{1,8}")) {
            prop_assert_eq!(permits(r, None, program.as_deref(), a).is_ok(), allows(r, a));
        }

        /// Whatever the change, the team keeps an owner.
        #[test]
        fn no_change_leaves_the_team_without_an_owner(actor in prop::option::of(role()), from in role(), to in prop::option::of(role()), owners in 0usize..4) {
            let owners = if from == Role::Owner { owners.max(1) } else { owners };
            if change_allowed(actor, from, to, owners).is_ok() {
                let after = owners - usize::from(from == Role::Owner) + usize::from(to == Some(Role::Owner));
                prop_assert!(after >= 1 || owners == 0);
            }
        }

        /// A key's scopes within its creator's role never reach an action the role lacks.
        #[test]
        fn scopes_within_a_role_stay_within_it(r in role(), picks in prop::collection::vec(0usize..11, 0..11)) {
            let scopes: Vec<KeyScope> = picks.into_iter().map(|i| KeyScope::ALL[i]).collect();
            if scope_beyond_role(r, &scopes).is_none() {
                for s in &scopes {
                    prop_assert!(allows(r, s.action()));
                }
            }
        }
    }
}
