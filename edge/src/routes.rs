//! Every route of the Worker, as data: `resolve` turns a method and a path
//! into a `Route` (pure, tested natively against openapi.json); `router`
//! authenticates it and calls its handler.

use edgeref_shared::team::{Action, KeyScope};
use worker::Method;

#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// No credentials: health, docs, the snippet and its beacons, sign-in, Stripe (signed).
    Public(PublicRoute),
    /// Admin token or dashboard session.
    Owner(OwnerRoute),
    /// The program API, for an API key (`/v1/…`) or the owner (`/v1/programs/{id}/…`).
    Api(Scope, ApiRoute),
    /// The team and a person's sessions: a signed-in person or the admin token.
    Team(TeamRoute),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TeamRoute {
    /// `GET /v1/team`: people and open invitations.
    Get,
    /// `POST /v1/team/invitations`.
    Invite,
    /// `DELETE /v1/team/invitations/{id}`.
    RevokeInvitation(String),
    /// `PATCH /v1/team/users/{id}`: role and program limit.
    UpdateUser(String),
    /// `DELETE /v1/team/users/{id}`: their sessions end at once.
    RemoveUser(String),
    /// `GET /v1/team/audit-log`: team-level entries (sign-ins, invitations, roles, removals).
    AuditLog,
    /// `GET /auth/sessions`: one's own sessions (an owner's: everyone's).
    ListSessions,
    /// `DELETE /auth/sessions/{id}`: signs a session out (another person's: owners only).
    RevokeSession(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// The program is the API key's.
    Key,
    /// The owner names the program in the path.
    Owner(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum PublicRoute {
    Health,
    OpenApi,
    BenchIngest,
    /// `GET /__bench/render?n=`: renders n messages (the `bench` feature's meter).
    BenchRender,
    SnippetWasm,
    SnippetJs,
    /// `GET /s/widget.js`: the referrer widget's script, loaded on demand.
    WidgetJs,
    Loader { public_id: String },
    BeaconPreflight,
    Visit,
    Signup,
    /// `GET /r/{code}`: a referral link that works without JavaScript.
    Redirect { code: String },
    StripeEvent { public_id: String },
    /// `POST /integrations/{paddle|lemonsqueezy}/{public_id}`: a billing provider's signed webhook.
    BillingEvent { provider: crate::integrations::billing::Provider, public_id: String },
    /// `GET /w/me`: the referrer's own data, for a portal token.
    PortalMe,
    PortalPreflight,
    /// `POST /w/invite`: a referrer invites friends by e-mail, for a portal token.
    PortalInvite,
    PortalInvitePreflight,
    /// `GET /portal/{public_id}`: the widget as a hosted page, or its sign-in.
    PortalPage { public_id: String },
    /// `POST /portal/{public_id}/code`: a sign-in code by e-mail.
    PortalCode { public_id: String },
    /// `POST /portal/{public_id}/session`: the code for a portal session cookie.
    PortalSession { public_id: String },
    PortalLogout { public_id: String },
    /// `GET /u/{token}`: asks to unsubscribe; `POST`: unsubscribes (RFC 8058).
    Unsubscribe { token: String },
    UnsubscribeConfirm { token: String },
    /// `GET /__dev/mail`: what `make dev` would have sent.
    DevMail,
    /// `POST /auth/code {"email"}`: a team sign-in code by e-mail.
    SignInCode,
    Login,
    Logout,
    Session,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OwnerRoute {
    CreateProgram,
    ListPrograms,
    /// A route about one program, which is loaded once before its handler runs.
    Program(String, ProgramRoute),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProgramRoute {
    Get,
    Update,
    Delete,
    CreateApiKey,
    ListApiKeys,
    RevokeApiKey(String),
    Ingest,
    ListIntegrations,
    PutIntegration(String),
    DeleteIntegration(String),
    /// `GET /v1/programs/{id}/integrations/stripe/credits`: the Stripe credit delivery log.
    StripeCredits,
    /// `POST /v1/programs/{id}/integrations/stripe/credits/{credit}/retry`: a failed credit sent again.
    RetryStripeCredit(String),
    Stats,
    /// `GET /v1/programs/{id}/audit-log`: owner only, never an API key.
    AuditLog,
    /// `POST /v1/programs/{id}/emails/preview`: a message rendered with sample data.
    EmailPreview,
    /// `POST /v1/programs/{id}/emails/test`: a message with sample data to an address.
    EmailTest,
    /// `GET /v1/programs/{id}/emails`: the e-mail delivery log.
    EmailLog,
    EmailResend(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApiRoute {
    Me,
    CreateCustomer,
    /// `POST /v1/customers/import`: a CSV file of customers, upserted by key.
    ImportCustomers,
    ListCustomers,
    GetCustomer(String),
    UpdateCustomer(String),
    DeleteCustomer(String),
    ListReferrals(String),
    CustomerStats(String),
    CreditCustomer(String),
    CreatePortalToken(String),
    /// `GET /v1/customers/{key}/export`: everything held about the person (docs/privacy.md).
    ExportCustomer(String),
    /// `POST /v1/customers/{key}/erase`: their personal data removed, amounts and keys kept.
    EraseCustomer(String),
    ServerSignup,
    CreateTransaction,
    ListTransactions,
    GetTransaction(String),
    DeleteTransaction(String),
    RecentEvents,
    CreateWebhook,
    ListWebhooks,
    GetWebhook(String),
    UpdateWebhook(String),
    DeleteWebhook(String),
    ListDeliveries(String),
    ResendDelivery(String, String),
    TestWebhook(String),
    RotateWebhookSecret(String),
    ListRewards,
    ApproveReward(String),
    RejectReward(String),
    CreatePayout,
    ListPayouts,
    ListPayables,
    /// `GET /v1/{customers,transactions,rewards,payouts}.csv`: the table's name, without `.csv`.
    ExportCsv(String),
    ListSuppressions,
    AddSuppression,
    DeleteSuppression(String),
}

/// The route for a method and a path's (percent-decoded) segments; HEAD is GET.
/// Tracking paths (`/s/…`, `/t/…`, `/r/…`) and the widget's `/w/me` are served under
/// `/_edgeref/` too, so a Worker route `shop.example/_edgeref/*` needs no other setting.
pub fn resolve(method: &Method, segs: &[&str]) -> Option<Route> {
    let method = if *method == Method::Head { Method::Get } else { method.clone() };
    match segs {
        ["v1", "programs", rest @ ..] => owner(&method, rest),
        ["v1", "team", rest @ ..] => team(&method, rest).map(Route::Team),
        ["auth", "sessions", rest @ ..] => sessions(&method, rest).map(Route::Team),
        ["v1", rest @ ..] => api(&method, rest).map(|r| Route::Api(Scope::Key, r)),
        ["_edgeref", rest @ ..] if matches!(rest.first(), Some(&("s" | "t" | "r" | "w"))) => public(&method, rest).map(Route::Public),
        _ => public(&method, segs).map(Route::Public),
    }
}

fn public(method: &Method, segs: &[&str]) -> Option<PublicRoute> {
    use Method::*;
    use PublicRoute::*;
    Some(match (method, segs) {
        (Get, ["health"]) => Health,
        (Get, ["openapi.json"]) => OpenApi,
        (Get, ["__bench", "ingest"]) => BenchIngest,
        (Get, ["__bench", "render"]) => BenchRender,
        (Get, ["s", "snippet_bg.wasm"]) => SnippetWasm,
        (Get, ["s", "snippet_bg.js"]) => SnippetJs,
        (Get, ["s", "widget.js"]) => WidgetJs,
        (Get, ["s", file]) => Loader { public_id: file.strip_suffix(".js").filter(|id| !id.is_empty())?.to_owned() },
        (Options, ["t", _]) => BeaconPreflight,
        (Post, ["t", "visit"]) => Visit,
        (Post, ["t", "signup"]) => Signup,
        (Get, ["r", code]) => Redirect { code: code.to_string() },
        (Get, ["w", "me"]) => PortalMe,
        (Options, ["w", "me"]) => PortalPreflight,
        (Post, ["w", "invite"]) => PortalInvite,
        (Options, ["w", "invite"]) => PortalInvitePreflight,
        (Get, ["portal", public_id]) => PortalPage { public_id: public_id.to_string() },
        (Post, ["portal", public_id, "code"]) => PortalCode { public_id: public_id.to_string() },
        (Post, ["portal", public_id, "session"]) => PortalSession { public_id: public_id.to_string() },
        (Post, ["portal", public_id, "logout"]) => PortalLogout { public_id: public_id.to_string() },
        (Get, ["u", token]) => Unsubscribe { token: token.to_string() },
        (Post, ["u", token]) => UnsubscribeConfirm { token: token.to_string() },
        (Get, ["__dev", "mail"]) => DevMail,
        (Post, ["integrations", "stripe", public_id]) => StripeEvent { public_id: public_id.to_string() },
        (Post, ["integrations", "paddle", public_id]) => BillingEvent { provider: crate::integrations::billing::Provider::Paddle, public_id: public_id.to_string() },
        (Post, ["integrations", "lemonsqueezy", public_id]) => BillingEvent { provider: crate::integrations::billing::Provider::LemonSqueezy, public_id: public_id.to_string() },
        (Post, ["auth", "code"]) => SignInCode,
        (Post, ["auth", "login"]) => Login,
        (Post, ["auth", "logout"]) => Logout,
        (Get, ["auth", "session"]) => Session,
        _ => return None,
    })
}

fn team(method: &Method, rest: &[&str]) -> Option<TeamRoute> {
    use Method::{Delete, Get, Patch, Post};
    use TeamRoute::*;
    Some(match (method, rest) {
        (Get, []) => TeamRoute::Get,
        (Post, ["invitations"]) => Invite,
        (Delete, ["invitations", id]) => RevokeInvitation(id.to_string()),
        (Patch, ["users", id]) => UpdateUser(id.to_string()),
        (Delete, ["users", id]) => RemoveUser(id.to_string()),
        (Get, ["audit-log"]) => AuditLog,
        _ => return None,
    })
}

fn sessions(method: &Method, rest: &[&str]) -> Option<TeamRoute> {
    match (method, rest) {
        (Method::Get, []) => Some(TeamRoute::ListSessions),
        (Method::Delete, [id]) => Some(TeamRoute::RevokeSession(id.to_string())),
        _ => None,
    }
}

impl Route {
    /// What the route does, for the permission table (`team::allows`); `None` for public routes,
    /// which take no credentials (or their own: portal sessions, Stripe's signature).
    pub fn action(&self) -> Option<Action> {
        match self {
            Route::Public(_) => None,
            Route::Owner(OwnerRoute::CreateProgram) => Some(Action::CreateProgram),
            Route::Owner(OwnerRoute::ListPrograms) => Some(Action::Read),
            Route::Owner(OwnerRoute::Program(_, r)) => Some(r.action()),
            Route::Api(_, r) => Some(r.action()),
            Route::Team(r) => Some(r.action()),
        }
    }

    /// The program the route is about, when it names one.
    pub fn program_id(&self) -> Option<&str> {
        match self {
            Route::Owner(OwnerRoute::Program(id, _)) | Route::Api(Scope::Owner(id), _) => Some(id),
            _ => None,
        }
    }
}

impl ProgramRoute {
    pub fn action(&self) -> Action {
        use ProgramRoute::*;
        match self {
            Get | ListApiKeys | Ingest | ListIntegrations | StripeCredits | Stats | AuditLog | EmailPreview | EmailLog => Action::Read,
            Update | EmailTest | EmailResend(_) => Action::UpdateProgram,
            Delete => Action::DeleteProgram,
            CreateApiKey | RevokeApiKey(_) => Action::ApiKeys,
            PutIntegration(_) | DeleteIntegration(_) => Action::Integrations,
            // Sending a refused credit again pays a reward: billing's work, like a payout.
            RetryStripeCredit(_) => Action::Payouts,
        }
    }
}

impl TeamRoute {
    pub fn action(&self) -> Action {
        use TeamRoute::*;
        match self {
            Get | AuditLog => Action::Read,
            Invite | RevokeInvitation(_) | UpdateUser(_) | RemoveUser(_) => Action::Team,
            ListSessions | RevokeSession(_) => Action::OwnSessions,
        }
    }
}

impl ApiRoute {
    /// What a person needs to be allowed (for the owner's `/v1/programs/{id}/…` paths).
    pub fn action(&self) -> Action {
        use ApiRoute::*;
        match self {
            Me | ListCustomers | GetCustomer(_) | ListReferrals(_) | CustomerStats(_) | ListTransactions | GetTransaction(_) | RecentEvents | ListWebhooks | GetWebhook(_)
            | ListDeliveries(_) | ListRewards | ListPayouts | ListPayables | ListSuppressions => Action::Read,
            CreateCustomer | ImportCustomers | UpdateCustomer(_) | DeleteCustomer(_) | CreatePortalToken(_) | ServerSignup | AddSuppression | DeleteSuppression(_) => Action::Customers,
            CreditCustomer(_) | ApproveReward(_) | RejectReward(_) => Action::Rewards,
            CreateTransaction | DeleteTransaction(_) => Action::Transactions,
            CreateWebhook | UpdateWebhook(_) | DeleteWebhook(_) | ResendDelivery(..) | TestWebhook(_) | RotateWebhookSecret(_) => Action::Webhooks,
            CreatePayout => Action::Payouts,
            // A person's export (GDPR access) is everything about them: an export like the CSVs.
            ExportCsv(_) | ExportCustomer(_) => Action::Exports,
            EraseCustomer(_) => Action::Customers,
        }
    }

    /// The scope an API key needs for it (`None`: any key, e.g. `GET /v1/me`).
    pub fn key_scope(&self) -> Option<KeyScope> {
        use ApiRoute::*;
        use KeyScope as K;
        Some(match self {
            Me => return None,
            ListCustomers | GetCustomer(_) | ListReferrals(_) | CustomerStats(_) | ListSuppressions => K::CustomersRead,
            CreateCustomer | ImportCustomers | UpdateCustomer(_) | DeleteCustomer(_) | ServerSignup | AddSuppression | DeleteSuppression(_) => K::CustomersWrite,
            CreatePortalToken(_) => K::PortalTokensWrite,
            ListTransactions | GetTransaction(_) => K::TransactionsRead,
            CreateTransaction | DeleteTransaction(_) => K::TransactionsWrite,
            RecentEvents | ListWebhooks | GetWebhook(_) | ListDeliveries(_) => K::WebhooksRead,
            CreateWebhook | UpdateWebhook(_) | DeleteWebhook(_) | ResendDelivery(..) | TestWebhook(_) | RotateWebhookSecret(_) => K::WebhooksWrite,
            ListRewards | ListPayouts | ListPayables => K::RewardsRead,
            CreditCustomer(_) | ApproveReward(_) | RejectReward(_) => K::RewardsWrite,
            CreatePayout => K::PayoutsWrite,
            ExportCsv(_) | ExportCustomer(_) => K::ExportsRead,
            EraseCustomer(_) => K::CustomersWrite,
        })
    }
}

/// Below `/v1/programs`: the owner's program routes, then the program API of one program.
fn owner(method: &Method, rest: &[&str]) -> Option<Route> {
    use Method::{Delete, Get, Patch, Post, Put};
    use ProgramRoute as P;
    let program = |id: &str, r: ProgramRoute| Some(Route::Owner(OwnerRoute::Program(id.to_owned(), r)));
    match (method, rest) {
        (Post, []) => Some(Route::Owner(OwnerRoute::CreateProgram)),
        (Get, []) => Some(Route::Owner(OwnerRoute::ListPrograms)),
        (Get, [id]) => program(id, P::Get),
        (Patch, [id]) => program(id, P::Update),
        (Delete, [id]) => program(id, P::Delete),
        (Post, [id, "api-keys"]) => program(id, P::CreateApiKey),
        (Get, [id, "api-keys"]) => program(id, P::ListApiKeys),
        (Delete, [id, "api-keys", key]) => program(id, P::RevokeApiKey(key.to_string())),
        (Get, [id, "ingest"]) => program(id, P::Ingest),
        (Get, [id, "integrations"]) => program(id, P::ListIntegrations),
        (Get, [id, "integrations", "stripe", "credits"]) => program(id, P::StripeCredits),
        (Post, [id, "integrations", "stripe", "credits", credit, "retry"]) => program(id, P::RetryStripeCredit(credit.to_string())),
        (Put, [id, "integrations", name]) => program(id, P::PutIntegration(name.to_string())),
        (Delete, [id, "integrations", name]) => program(id, P::DeleteIntegration(name.to_string())),
        (Get, [id, "stats"]) => program(id, P::Stats),
        (Get, [id, "audit-log"]) => program(id, P::AuditLog),
        (Post, [id, "emails", "preview"]) => program(id, P::EmailPreview),
        (Post, [id, "emails", "test"]) => program(id, P::EmailTest),
        (Get, [id, "emails"]) => program(id, P::EmailLog),
        (Post, [id, "emails", delivery, "resend"]) => program(id, P::EmailResend(delivery.to_string())),
        (_, [id, tail @ ..]) if !tail.is_empty() => api(method, tail).map(|r| Route::Api(Scope::Owner(id.to_string()), r)),
        _ => None,
    }
}

fn api(method: &Method, segs: &[&str]) -> Option<ApiRoute> {
    use ApiRoute::*;
    use Method::*;
    let s = |v: &&str| v.to_string();
    Some(match (method, segs) {
        (Get, ["me"]) => Me,
        (Post, ["customers"]) => CreateCustomer,
        (Post, ["customers", "import"]) => ImportCustomers,
        (Get, ["customers"]) => ListCustomers,
        (Get, ["customers", key]) => GetCustomer(s(key)),
        (Patch, ["customers", key]) => UpdateCustomer(s(key)),
        (Delete, ["customers", key]) => DeleteCustomer(s(key)),
        (Get, ["customers", key, "referrals"]) => ListReferrals(s(key)),
        (Get, ["customers", key, "stats"]) => CustomerStats(s(key)),
        (Post, ["customers", key, "credit"]) => CreditCustomer(s(key)),
        (Post, ["customers", key, "portal-token"]) => CreatePortalToken(s(key)),
        (Get, ["customers", key, "export"]) => ExportCustomer(s(key)),
        (Post, ["customers", key, "erase"]) => EraseCustomer(s(key)),
        (Post, ["signups"]) => ServerSignup,
        (Post, ["transactions"]) => CreateTransaction,
        (Get, ["transactions"]) => ListTransactions,
        (Get, ["transactions", key]) => GetTransaction(s(key)),
        (Delete, ["transactions", key]) => DeleteTransaction(s(key)),
        (Get, ["events"]) => RecentEvents,
        (Post, ["webhooks"]) => CreateWebhook,
        (Get, ["webhooks"]) => ListWebhooks,
        (Get, ["webhooks", id]) => GetWebhook(s(id)),
        (Patch, ["webhooks", id]) => UpdateWebhook(s(id)),
        (Delete, ["webhooks", id]) => DeleteWebhook(s(id)),
        (Get, ["webhooks", id, "deliveries"]) => ListDeliveries(s(id)),
        (Post, ["webhooks", id, "deliveries", delivery, "resend"]) => ResendDelivery(s(id), s(delivery)),
        (Post, ["webhooks", id, "test"]) => TestWebhook(s(id)),
        (Post, ["webhooks", id, "rotate-secret"]) => RotateWebhookSecret(s(id)),
        (Get, ["rewards"]) => ListRewards,
        (Post, ["rewards", id, "approve"]) => ApproveReward(s(id)),
        (Post, ["rewards", id, "reject"]) => RejectReward(s(id)),
        (Post, ["payouts"]) => CreatePayout,
        (Get, ["payouts"]) => ListPayouts,
        (Get, ["payables"]) => ListPayables,
        (Get, ["email-suppressions"]) => ListSuppressions,
        (Post, ["email-suppressions"]) => AddSuppression,
        (Delete, ["email-suppressions", email]) => DeleteSuppression(s(email)),
        (Get, [file]) => ExportCsv(file.strip_suffix(".csv").filter(|t| edgeref_shared::records::export_table(t).is_some())?.to_owned()),
        _ => return None,
    })
}

/// A path's segments, percent-decoded (`/v1/customers/a%2Fb` names customer `a/b`).
pub fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/').split('/').map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()).collect()
}

#[cfg(test)]
mod tests;
