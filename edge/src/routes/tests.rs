//! Routing is checked against the published contract: every documented
//! operation resolves, and every route is documented.

use super::*;

static OPENAPI: &str = include_str!("../../api/openapi.json");

/// Every (method, path template) in openapi.json.
fn documented() -> Vec<(Method, String)> {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (name, method) in [("get", Method::Get), ("post", Method::Post), ("put", Method::Put), ("patch", Method::Patch), ("delete", Method::Delete)] {
            if item.get(name).is_some() {
                ops.push((method, path.clone()));
            }
        }
    }
    ops
}

/// A concrete path for a template: placeholders get sample values.
fn concrete(template: &str) -> String {
    template.split('/').map(|s| if s == "{file}" { "p1.js" } else if s.starts_with('{') { "x1" } else { s }).collect::<Vec<_>>().join("/")
}

fn route(method: Method, path: &str) -> Option<Route> {
    let segs = segments(path);
    resolve(&method, &segs.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn every_documented_operation_resolves() {
    let ops = documented();
    assert!(ops.len() > 60, "only {} operations read from openapi.json", ops.len());
    for (method, template) in ops {
        assert!(route(method.clone(), &concrete(&template)).is_some(), "{method:?} {template} is documented but not routed");
    }
}

/// One example of every route; the `match` below has no wildcard, so a new
/// variant does not compile until it is added here (and so checked against the docs).
fn examples() -> Vec<(Method, &'static str)> {
    use Method::*;
    vec![
        (Get, "/health"), (Get, "/openapi.json"), (Get, "/s/snippet_bg.wasm"), (Get, "/s/snippet_bg.js"), (Get, "/s/widget.js"), (Get, "/s/p1.js"), (Post, "/t/visit"), (Post, "/t/signup"), (Get, "/r/x1"), (Get, "/w/me"), (Get, "/portal/p1"),
        (Post, "/integrations/stripe/p1"), (Post, "/integrations/paddle/p1"), (Post, "/integrations/lemonsqueezy/p1"), (Post, "/auth/login"), (Post, "/auth/logout"), (Get, "/auth/session"),
        (Post, "/v1/programs"), (Get, "/v1/programs"), (Get, "/v1/programs/x1"), (Patch, "/v1/programs/x1"), (Delete, "/v1/programs/x1"),
        (Post, "/v1/programs/x1/api-keys"), (Get, "/v1/programs/x1/api-keys"), (Delete, "/v1/programs/x1/api-keys/x1"), (Get, "/v1/programs/x1/ingest"),
        (Get, "/v1/programs/x1/integrations"), (Put, "/v1/programs/x1/integrations/x1"), (Delete, "/v1/programs/x1/integrations/x1"), (Get, "/v1/programs/x1/stats"), (Get, "/v1/programs/x1/audit-log"),
        (Get, "/v1/programs/x1/integrations/stripe/credits"), (Post, "/v1/programs/x1/integrations/stripe/credits/x1/retry"),
        (Get, "/v1/me"), (Post, "/v1/customers"), (Get, "/v1/customers"), (Get, "/v1/customers/x1"), (Patch, "/v1/customers/x1"), (Delete, "/v1/customers/x1"),
        (Get, "/v1/customers/x1/referrals"), (Get, "/v1/customers/x1/stats"), (Post, "/v1/customers/x1/credit"), (Post, "/v1/customers/x1/portal-token"), (Get, "/v1/customers/x1/export"), (Post, "/v1/customers/x1/erase"), (Post, "/v1/signups"),
        (Post, "/v1/transactions"), (Get, "/v1/transactions"), (Get, "/v1/transactions/x1"), (Delete, "/v1/transactions/x1"), (Get, "/v1/events"),
        (Post, "/v1/webhooks"), (Get, "/v1/webhooks"), (Get, "/v1/webhooks/x1"), (Patch, "/v1/webhooks/x1"), (Delete, "/v1/webhooks/x1"),
        (Get, "/v1/webhooks/x1/deliveries"), (Post, "/v1/webhooks/x1/deliveries/x1/resend"), (Post, "/v1/webhooks/x1/test"), (Post, "/v1/webhooks/x1/rotate-secret"),
        (Get, "/v1/rewards"), (Post, "/v1/rewards/x1/approve"), (Post, "/v1/rewards/x1/reject"), (Post, "/v1/payouts"), (Get, "/v1/payouts"), (Get, "/v1/payables"),
        (Post, "/v1/customers/import"), (Get, "/v1/customers.csv"), (Get, "/v1/transactions.csv"), (Get, "/v1/rewards.csv"), (Get, "/v1/payouts.csv"),
        (Post, "/w/invite"), (Post, "/portal/p1/code"), (Post, "/portal/p1/session"), (Post, "/portal/p1/logout"), (Get, "/u/x1"), (Post, "/u/x1"), (Get, "/__dev/mail"),
        (Post, "/v1/programs/x1/emails/preview"), (Post, "/v1/programs/x1/emails/test"), (Get, "/v1/programs/x1/emails"), (Post, "/v1/programs/x1/emails/x1/resend"),
        (Get, "/v1/email-suppressions"), (Post, "/v1/email-suppressions"), (Delete, "/v1/email-suppressions/a@x.example"),
        (Post, "/auth/code"), (Get, "/auth/sessions"), (Delete, "/auth/sessions/x1"), (Get, "/v1/team"), (Post, "/v1/team/invitations"), (Delete, "/v1/team/invitations/x1"),
        (Patch, "/v1/team/users/x1"), (Delete, "/v1/team/users/x1"), (Get, "/v1/team/audit-log"),
    ]
}

/// Which variant a route is (its name), through a match that must stay exhaustive.
fn variant(r: &Route) -> &'static str {
    use ApiRoute as A;
    use ProgramRoute as P;
    use PublicRoute as Pu;
    match r {
        Route::Public(p) => match p {
            Pu::Health => "Health", Pu::OpenApi => "OpenApi", Pu::BenchIngest => "BenchIngest", Pu::BenchRender => "BenchRender", Pu::SnippetWasm => "SnippetWasm", Pu::SnippetJs => "SnippetJs", Pu::WidgetJs => "WidgetJs",
            Pu::Loader { .. } => "Loader", Pu::BeaconPreflight => "BeaconPreflight", Pu::Visit => "Visit", Pu::Signup => "Signup", Pu::Redirect { .. } => "Redirect",
            Pu::PortalMe => "PortalMe", Pu::PortalPreflight => "PortalPreflight", Pu::PortalPage { .. } => "PortalPage",
            Pu::PortalInvite => "PortalInvite", Pu::PortalInvitePreflight => "PortalInvitePreflight", Pu::PortalCode { .. } => "PortalCode",
            Pu::PortalSession { .. } => "PortalSession", Pu::PortalLogout { .. } => "PortalLogout", Pu::Unsubscribe { .. } => "Unsubscribe",
            Pu::UnsubscribeConfirm { .. } => "UnsubscribeConfirm", Pu::DevMail => "DevMail",
            Pu::StripeEvent { .. } => "StripeEvent", Pu::BillingEvent { provider, .. } => if provider.name() == "paddle" { "PaddleEvent" } else { "LemonSqueezyEvent" }, Pu::SignInCode => "SignInCode", Pu::Login => "Login", Pu::Logout => "Logout", Pu::Session => "Session",
        },
        Route::Team(t) => match t {
            TeamRoute::Get => "GetTeam", TeamRoute::Invite => "Invite", TeamRoute::RevokeInvitation(_) => "RevokeInvitation", TeamRoute::UpdateUser(_) => "UpdateUser",
            TeamRoute::RemoveUser(_) => "RemoveUser", TeamRoute::AuditLog => "TeamAuditLog", TeamRoute::ListSessions => "ListSessions", TeamRoute::RevokeSession(_) => "RevokeSession",
        },
        Route::Owner(OwnerRoute::CreateProgram) => "CreateProgram",
        Route::Owner(OwnerRoute::ListPrograms) => "ListPrograms",
        Route::Owner(OwnerRoute::Program(_, p)) => match p {
            P::Get => "GetProgram", P::Update => "UpdateProgram", P::Delete => "DeleteProgram", P::CreateApiKey => "CreateApiKey",
            P::ListApiKeys => "ListApiKeys", P::RevokeApiKey(_) => "RevokeApiKey", P::Ingest => "Ingest", P::ListIntegrations => "ListIntegrations",
            P::PutIntegration(_) => "PutIntegration", P::DeleteIntegration(_) => "DeleteIntegration", P::StripeCredits => "StripeCredits", P::RetryStripeCredit(_) => "RetryStripeCredit", P::Stats => "Stats", P::AuditLog => "AuditLog",
            P::EmailPreview => "EmailPreview", P::EmailTest => "EmailTest", P::EmailLog => "EmailLog", P::EmailResend(_) => "EmailResend",
        },
        Route::Api(_, a) => match a {
            A::Me => "Me", A::CreateCustomer => "CreateCustomer", A::ListCustomers => "ListCustomers", A::GetCustomer(_) => "GetCustomer",
            A::UpdateCustomer(_) => "UpdateCustomer", A::DeleteCustomer(_) => "DeleteCustomer", A::ListReferrals(_) => "ListReferrals",
            A::CustomerStats(_) => "CustomerStats", A::CreditCustomer(_) => "CreditCustomer", A::CreatePortalToken(_) => "CreatePortalToken", A::ExportCustomer(_) => "ExportCustomer", A::EraseCustomer(_) => "EraseCustomer", A::ServerSignup => "ServerSignup",
            A::CreateTransaction => "CreateTransaction", A::ListTransactions => "ListTransactions", A::GetTransaction(_) => "GetTransaction",
            A::DeleteTransaction(_) => "DeleteTransaction", A::RecentEvents => "RecentEvents", A::CreateWebhook => "CreateWebhook",
            A::ListWebhooks => "ListWebhooks", A::GetWebhook(_) => "GetWebhook", A::UpdateWebhook(_) => "UpdateWebhook",
            A::DeleteWebhook(_) => "DeleteWebhook", A::ListDeliveries(_) => "ListDeliveries", A::ResendDelivery(..) => "ResendDelivery",
            A::TestWebhook(_) => "TestWebhook", A::RotateWebhookSecret(_) => "RotateWebhookSecret", A::ListRewards => "ListRewards",
            A::ApproveReward(_) => "ApproveReward", A::RejectReward(_) => "RejectReward", A::CreatePayout => "CreatePayout",
            A::ListPayouts => "ListPayouts", A::ListPayables => "ListPayables", A::ImportCustomers => "ImportCustomers", A::ExportCsv(_) => "ExportCsv",
            A::ListSuppressions => "ListSuppressions", A::AddSuppression => "AddSuppression", A::DeleteSuppression(_) => "DeleteSuppression",
        },
    }
}

/// Whether a concrete path matches a documented template (placeholders match any segment).
fn matches_template(path: &str, template: &str) -> bool {
    let (p, t) = (segments(path), segments(template));
    p.len() == t.len() && p.iter().zip(&t).all(|(p, t)| t.starts_with('{') || p == t)
}

#[test]
fn every_route_is_documented() {
    let docs = documented();
    let mut seen = std::collections::BTreeSet::new();
    for (method, path) in examples() {
        let r = route(method.clone(), path).unwrap_or_else(|| panic!("{method:?} {path} does not resolve"));
        seen.insert(variant(&r));
        assert!(docs.iter().any(|(m, t)| *m == method && matches_template(path, t)), "{method:?} {path} is routed but not in openapi.json");
        // Every tracking path (and the widget's /w/me) is served under /_edgeref/ too (a first-party Worker route), and documented there.
        if ["/s/", "/t/", "/r/", "/w/"].iter().any(|p| path.starts_with(p)) {
            let first_party = format!("/_edgeref{path}");
            assert_eq!(route(method.clone(), &first_party), Some(r.clone()), "{method:?} {first_party}");
            assert!(docs.iter().any(|(m, t)| *m == method && matches_template(&first_party, t)), "{method:?} {first_party} is routed but not documented");
        }
        // The owner reaches every program-API route under /v1/programs/{id}/ too, and that is documented as well.
        if let Some(tail) = path.strip_prefix("/v1/").filter(|t| !t.starts_with("programs") && !t.starts_with("team")) {
            let owner = format!("/v1/programs/x1/{tail}");
            assert!(matches!(route(method.clone(), &owner), Some(Route::Api(Scope::Owner(_), _))), "{method:?} {owner}");
            assert!(docs.iter().any(|(m, t)| *m == method && matches_template(&owner, t)), "{method:?} {owner} is routed but not documented");
        }
    }
    // BenchIngest, BenchRender, BeaconPreflight, PortalPreflight and PortalInvitePreflight are internal (benchmark meter, CORS preflights) and left out of the public document.
    assert_eq!(seen.len(), 91, "examples cover {} of the 91 public route variants", seen.len());
}

#[test]
fn owner_paths_name_their_program_and_key_paths_do_not() {
    assert_eq!(route(Method::Get, "/v1/programs/prg_1/customers/ann"), Some(Route::Api(Scope::Owner("prg_1".into()), ApiRoute::GetCustomer("ann".into()))));
    assert_eq!(route(Method::Get, "/v1/customers/ann"), Some(Route::Api(Scope::Key, ApiRoute::GetCustomer("ann".into()))));
    assert_eq!(route(Method::Get, "/v1/programs/prg_1/stats"), Some(Route::Owner(OwnerRoute::Program("prg_1".into(), ProgramRoute::Stats))));
    // The audit log is the owner's only: no API-key path reaches it.
    assert_eq!(route(Method::Get, "/v1/programs/prg_1/audit-log"), Some(Route::Owner(OwnerRoute::Program("prg_1".into(), ProgramRoute::AuditLog))));
    assert_eq!(route(Method::Get, "/v1/audit-log"), None);
}

#[test]
fn segments_are_percent_decoded_and_head_is_get() {
    assert_eq!(route(Method::Get, "/v1/customers/a%2Fb%20c"), Some(Route::Api(Scope::Key, ApiRoute::GetCustomer("a/b c".into()))));
    assert_eq!(route(Method::Head, "/health"), Some(Route::Public(PublicRoute::Health)));
    assert_eq!(route(Method::Options, "/t/visit"), Some(Route::Public(PublicRoute::BeaconPreflight)));
    assert_eq!(route(Method::Get, "/s/abc.js"), Some(Route::Public(PublicRoute::Loader { public_id: "abc".into() })));
    assert_eq!(route(Method::Get, "/s/snippet_bg.js"), Some(Route::Public(PublicRoute::SnippetJs)), "the module's JS, not a program");
    assert_eq!(route(Method::Get, "/s/widget.js"), Some(Route::Public(PublicRoute::WidgetJs)), "the widget's JS, not a program");
    assert_eq!(route(Method::Get, "/_edgeref/w/me"), Some(Route::Public(PublicRoute::PortalMe)));
    assert_eq!(route(Method::Get, "/portal/Ab1"), Some(Route::Public(PublicRoute::PortalPage { public_id: "Ab1".into() })));
    assert_eq!(route(Method::Get, "/_edgeref/portal/Ab1"), None, "the hosted page is the Worker's own, not first-party");
    assert_eq!(route(Method::Get, "/r/Ab%2Fc"), Some(Route::Public(PublicRoute::Redirect { code: "Ab/c".into() })), "a bad code still redirects");
    assert_eq!(route(Method::Options, "/_edgeref/t/signup"), Some(Route::Public(PublicRoute::BeaconPreflight)));
    assert_eq!(route(Method::Options, "/w/me"), Some(Route::Public(PublicRoute::PortalPreflight)));
    assert_eq!(route(Method::Options, "/_edgeref/w/invite"), Some(Route::Public(PublicRoute::PortalInvitePreflight)));
}

#[test]
fn unknown_paths_and_wrong_methods_resolve_to_nothing() {
    for (method, path) in [
        (Method::Post, "/health"),
        (Method::Get, "/nothing"),
        (Method::Get, "/v1/nothing"),
        (Method::Get, "/v1/programs/x1/nothing"),
        (Method::Put, "/v1/customers"),
        (Method::Get, "/s/.js"),
        (Method::Get, "/s/readme.txt"),
        (Method::Get, "/t/visit"),
        (Method::Delete, "/v1/programs"),
        (Method::Post, "/r/x1"),
        (Method::Get, "/r/x1/more"),
        (Method::Get, "/_edgeref/health"),
        (Method::Get, "/_edgeref/v1/me"),
        (Method::Post, "/_edgeref/auth/login"),
        (Method::Get, "/_edgeref/_edgeref/r/x1"),
        (Method::Get, "/_edgeref/portal/x1"),
        (Method::Post, "/w/me"),
        (Method::Get, "/v1/customers/x1/portal-token"),
        (Method::Get, "/v1/programs.csv"),
        (Method::Get, "/v1/audit-log.csv"),
        (Method::Post, "/v1/customers.csv"),
    ] {
        assert_eq!(route(method.clone(), path), None, "{method:?} {path}");
    }
}

/// Every signed-in route of the list above, as the team member reaches it (program-API
/// routes also under `/v1/programs/{id}/`), with its method.
fn signed_in_routes() -> Vec<(Method, String, Route)> {
    let reached = |method: Method, path: &str| {
        let path = match route(method.clone(), path)? {
            Route::Public(_) => return None,
            Route::Api(Scope::Key, _) => format!("/v1/programs/x1/{}", &path[4..]),
            _ => path.to_owned(),
        };
        let r = route(method.clone(), &path)?;
        Some((method, path, r))
    };
    examples().into_iter().filter_map(|(method, path)| reached(method, path)).collect()
}

/// The role × route matrix: every route of this file against every role, decided by the one table.
#[test]
fn the_role_route_matrix() {
    use edgeref_shared::team::{permits, Action, Denial, Role};
    let routes = signed_in_routes();
    assert!(routes.len() > 60, "only {} signed-in routes", routes.len());
    let mut matrix = String::new();
    for (method, path, r) in &routes {
        let action = r.action().unwrap_or_else(|| panic!("{method:?} {path} has no action"));
        let row: Vec<bool> = Role::ALL.iter().map(|role| permits(*role, None, r.program_id(), action).is_ok()).collect();
        matrix.push_str(&format!("{method:?} {path} {action:?} {row:?}\n"));
        // The owner does everything, an admin all but owners' business (which has no route of its own).
        assert!(row[0] && row[1], "{method:?} {path}");
        // A viewer writes nowhere (signing out of one's own session aside; an e-mail preview only renders).
        let reads = (*method == Method::Get && action != Action::Exports) || path.ends_with("/emails/preview");
        assert_eq!(row[4], reads || action == Action::OwnSessions, "viewer: {method:?} {path}");
        // A read is open to every role, but exports (every customer's data).
        if *method == Method::Get {
            assert!(matches!(action, Action::Read | Action::Exports | Action::OwnSessions), "{method:?} {path} is a read");
        }
        // Program limits: a route naming another program is invisible, whatever the role.
        if let Some(id) = r.program_id() {
            assert_eq!(id, "x1");
            for role in Role::ALL {
                assert_eq!(permits(role, Some(&["prg_other".to_owned()]), Some(id), action), Err(Denial::Invisible), "{role:?} {method:?} {path}");
            }
        }
    }
    let allowed = |role: Role, method: Method, path: &str| {
        let r = route(method.clone(), path).unwrap_or_else(|| panic!("{method:?} {path}"));
        permits(role, None, r.program_id(), r.action().unwrap()).is_ok()
    };
    // A member neither creates keys nor invites, but changes settings, customers, transactions and reviews rewards.
    assert!(!allowed(Role::Member, Method::Post, "/v1/programs/x1/api-keys"));
    assert!(!allowed(Role::Member, Method::Post, "/v1/team/invitations"));
    assert!(!allowed(Role::Member, Method::Post, "/v1/programs/x1/webhooks"));
    assert!(!allowed(Role::Member, Method::Put, "/v1/programs/x1/integrations/x1"));
    assert!(!allowed(Role::Member, Method::Delete, "/v1/programs/x1"));
    for (m, p) in [(Method::Patch, "/v1/programs/x1"), (Method::Post, "/v1/programs/x1/customers"), (Method::Post, "/v1/programs/x1/transactions"), (Method::Post, "/v1/programs/x1/rewards/x1/approve")] {
        assert!(allowed(Role::Member, m.clone(), p), "member {m:?} {p}");
    }
    // Billing pays out and exports, but changes no tracking and no customers.
    assert!(allowed(Role::Billing, Method::Post, "/v1/programs/x1/payouts"));
    assert!(allowed(Role::Billing, Method::Get, "/v1/programs/x1/customers.csv"));
    assert!(allowed(Role::Billing, Method::Post, "/v1/programs/x1/rewards/x1/approve"));
    assert!(!allowed(Role::Billing, Method::Patch, "/v1/programs/x1"));
    assert!(!allowed(Role::Billing, Method::Post, "/v1/programs/x1/customers"));
    assert!(!allowed(Role::Member, Method::Post, "/v1/programs/x1/payouts"));
    assert!(!allowed(Role::Viewer, Method::Get, "/v1/programs/x1/customers.csv"));
    // Every role reads the team and lists its own sessions.
    for role in Role::ALL {
        assert!(allowed(role, Method::Get, "/v1/team") && allowed(role, Method::Get, "/auth/sessions"));
    }
    assert_eq!(matrix.lines().count(), routes.len());
}

/// Every program-API route a key reaches needs the scope whose action the route's is,
/// so a key never does what a person giving it scopes could not (`GET /v1/me` needs none).
#[test]
fn every_key_route_needs_its_scope() {
    use edgeref_shared::team::{key_allows, KeyScope};
    let mut needed = std::collections::BTreeSet::new();
    for (method, path) in examples() {
        let Some(Route::Api(Scope::Key, r)) = route(method.clone(), path) else { continue };
        match r.key_scope() {
            None => assert_eq!(r, ApiRoute::Me),
            Some(scope) => {
                assert_eq!(scope.action(), r.action(), "{method:?} {path}");
                assert_eq!(scope.as_str().ends_with(":read"), method == Method::Get, "{method:?} {path} needs {}", scope.as_str());
                assert!(!key_allows(&[], Some(scope)) && key_allows(&KeyScope::ALL, Some(scope)));
                needed.insert(scope);
            }
        }
    }
    assert_eq!(needed.into_iter().collect::<Vec<_>>(), KeyScope::ALL, "every scope opens some route");
}
