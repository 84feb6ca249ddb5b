//! From a resolved `Route` to its handler: authenticate the caller, load the
//! program once when the route is about one, call the handler.

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::programs::model::Program;
use crate::routes::{self, ApiRoute, OwnerRoute, ProgramRoute, PublicRoute, Route, Scope, TeamRoute};
use crate::team::{self, model::Who};
use crate::{api_keys, audit, auth, customers, emails, http, ingest, integrations, openapi, payouts, portal, privacy, programs, records, rewards, tracking, transactions, webhooks};
use edgeref_shared::team::{self as rules, Denial};
use serde_json::json;
use worker::{Request, Response};

pub async fn serve(req: Request, cx: &Cx, path: &str) -> ApiResult<Response> {
    let segments = routes::segments(path);
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let Some(route) = routes::resolve(&req.method(), &segs) else { return no_route(&req, cx, &segs).await };
    // Every route but the public ones and the API keys' is a team member's, decided by the permission table.
    let who = match &route {
        Route::Public(_) | Route::Api(Scope::Key, _) => None,
        signed => Some(signed_in(&req, cx, signed).await?),
    };
    match (route, who) {
        (Route::Public(r), _) => public(req, cx, r, &segs).await,
        (Route::Api(Scope::Key, r), _) => {
            let (id, actor) = auth::require_program_key(&req, cx, r.key_scope()).await?;
            cx.set_caller(actor, &req);
            let program = programs::store::get(&cx.db, &id).await?;
            api(req, cx, &program, r).await
        }
        (Route::Owner(r), Some(who)) => owner(req, cx, r, &who).await,
        (Route::Api(Scope::Owner(id), r), Some(_)) => api(req, cx, &programs::store::get(&cx.db, &id).await?, r).await,
        (Route::Team(r), Some(who)) => team_route(req, cx, r, &who).await,
        (_, None) => Err(ApiError::unauthorized()),
    }
}

/// Authenticates a team member and lets the permission table decide the route: a program
/// outside their limit is a 404 (as if it did not exist), an action their role lacks a 403.
async fn signed_in(req: &Request, cx: &Cx, route: &Route) -> ApiResult<Who> {
    let who = auth::require_person(req, cx).await?;
    cx.set_caller(who.actor.clone(), req);
    let action = route.action().ok_or_else(|| ApiError::new(500, "internal", "a signed-in route without an action"))?;
    match rules::permits(who.role, who.programs.as_deref(), route.program_id(), action) {
        Ok(()) => Ok(who),
        Err(Denial::Invisible) => Err(ApiError::not_found("program")),
        Err(Denial::Forbidden) => Err(ApiError::new(403, "forbidden", format!("the {} role does not allow this", who.role.as_str()))),
    }
}

/// 404 for an unknown path; under `/v1/` only after the caller authenticated, so
/// a stranger learns nothing about which paths exist.
async fn no_route(req: &Request, cx: &Cx, segs: &[&str]) -> ApiResult<Response> {
    match segs {
        ["v1", "programs" | "team", ..] => drop(auth::require_person(req, cx).await?),
        ["v1", ..] => drop(auth::require_program_key(req, cx, None).await?),
        _ => {}
    }
    Err(ApiError::new(404, "no_route", format!("no route for /{}", segs.join("/"))))
}

async fn public(req: Request, cx: &Cx, route: PublicRoute, segs: &[&str]) -> ApiResult<Response> {
    use PublicRoute::*;
    match route {
        Health => http::json(200, &json!({"ok": true})),
        OpenApi => openapi::document(cx).await,
        #[cfg(feature = "bench")]
        BenchIngest if cx.bench_mode() => http::json(200, &crate::meter::snapshot()),
        #[cfg(feature = "bench")]
        BenchRender if cx.bench_mode() => http::json(200, &crate::meter::render(http::query_param(&req, "n").and_then(|n| n.parse().ok()).unwrap_or(0))),
        BenchIngest | BenchRender => Err(ApiError::new(404, "no_route", format!("no route for /{}", segs.join("/")))),
        SnippetWasm => tracking::snippet::wasm(),
        SnippetJs => tracking::snippet::module_js(),
        WidgetJs => tracking::snippet::widget_js(),
        Loader { public_id } => tracking::snippet::loader(&req, cx, &public_id).await,
        BeaconPreflight => tracking::preflight(&req, cx).await,
        Visit => tracking::visit(req, cx).await,
        Signup => tracking::signup(req, cx).await,
        Redirect { code } => tracking::redirect::follow(req, cx, &code).await,
        PortalMe => portal::me(req, cx).await,
        PortalPreflight => portal::preflight(&req, cx, "GET").await,
        PortalInvite => portal::invite(req, cx).await,
        PortalInvitePreflight => portal::preflight(&req, cx, "POST").await,
        PortalPage { public_id } => portal::hosted(&req, cx, &by_public_id(cx, &public_id).await?).await,
        PortalCode { public_id } => portal::signin::send_code(req, cx, &by_public_id(cx, &public_id).await?).await,
        PortalSession { public_id } => portal::signin::sign_in(req, cx, &by_public_id(cx, &public_id).await?).await,
        PortalLogout { public_id } => portal::signin::sign_out(&req, &by_public_id(cx, &public_id).await?),
        Unsubscribe { token } => emails::unsubscribe::ask(cx, &token).await,
        UnsubscribeConfirm { token } => emails::unsubscribe::confirm(cx, &token).await,
        DevMail => emails::dev::mail(&req, cx).await,
        StripeEvent { public_id } => integrations::stripe::receive(req, cx, &public_id).await,
        BillingEvent { provider, public_id } => integrations::billing::receive(req, cx, provider, &public_id).await,
        SignInCode => team::signin::send_code(req, cx).await,
        Login => auth::login(req, cx).await,
        Logout => auth::logout(&req, cx).await,
        Session => auth::current(&req, cx).await,
    }
}

/// A program by its public id (the one in snippet tags and portal links), through the tracking cache.
async fn by_public_id(cx: &Cx, public_id: &str) -> ApiResult<Program> {
    let config = programs::store::tracking_config(&cx.env, public_id).await?.ok_or_else(|| ApiError::not_found("program"))?;
    programs::store::get(&cx.db, &config.id).await
}

async fn team_route(req: Request, cx: &Cx, route: TeamRoute, who: &Who) -> ApiResult<Response> {
    use TeamRoute::*;
    match route {
        Get => team::get(cx).await,
        Invite => team::invite(req, cx, who).await,
        RevokeInvitation(id) => team::revoke_invitation(cx, who, &id).await,
        UpdateUser(id) => team::update_user(req, cx, who, &id).await,
        RemoveUser(id) => team::remove_user(cx, who, &id).await,
        AuditLog => audit::log::list(&req, cx, team::TEAM).await,
        ListSessions => team::sessions(cx, who).await,
        RevokeSession(id) => team::revoke_session(cx, who, &id).await,
    }
}

async fn owner(req: Request, cx: &Cx, route: OwnerRoute, who: &Who) -> ApiResult<Response> {
    use ProgramRoute::*;
    let (id, route) = match route {
        OwnerRoute::CreateProgram => return programs::create(req, cx).await,
        OwnerRoute::ListPrograms => return programs::list(&req, cx, who.programs.as_deref()).await,
        OwnerRoute::Program(id, route) => (id, route),
    };
    let program = programs::store::get(&cx.db, &id).await?;
    match route {
        Get => programs::get(&req, &program),
        Update => programs::update(req, cx, program).await,
        Delete => programs::delete(cx, &program).await,
        CreateApiKey => api_keys::create(req, cx, &program.id, who.role).await,
        ListApiKeys => api_keys::list(cx, &program.id).await,
        RevokeApiKey(key_id) => api_keys::revoke(cx, &program.id, &key_id).await,
        Ingest => ingest::report::dead_visits(&cx.db, &program.id).await,
        ListIntegrations => integrations::list(&req, cx, &program).await,
        PutIntegration(name) => integrations::put(req, cx, &program, &name).await,
        DeleteIntegration(name) => integrations::delete(cx, &program, &name).await,
        StripeCredits => integrations::credits(&req, cx, &program).await,
        RetryStripeCredit(credit) => integrations::retry_credit(cx, &program, &credit).await,
        Stats => programs::stats::get(&req, cx, &program).await,
        AuditLog => audit::log::list(&req, cx, &program.id).await,
        EmailPreview => emails::preview(req, cx, &program).await,
        EmailTest => emails::send_test(req, cx, &program).await,
        EmailLog => emails::log(&req, cx, &program).await,
        EmailResend(delivery) => emails::resend(cx, &program, &delivery).await,
    }
}

/// The program API below `/v1/` (or `/v1/programs/{id}/` for the owner).
async fn api(req: Request, cx: &Cx, program: &Program, route: ApiRoute) -> ApiResult<Response> {
    use ApiRoute::*;
    let pid = program.id.as_str();
    match route {
        Me => http::json(200, &json!({"program": {"id": program.id, "name": program.name, "website_url": program.website_url}})),
        CreateCustomer => customers::create(req, cx, program).await,
        ImportCustomers => records::import(req, cx, program).await,
        ListCustomers => customers::list(&req, cx, program, None).await,
        GetCustomer(key) => customers::get(cx, program, &key).await,
        UpdateCustomer(key) => customers::update(req, cx, program, &key).await,
        DeleteCustomer(key) => customers::delete(cx, program, &key).await,
        ListReferrals(key) => customers::list(&req, cx, program, Some(&key)).await,
        CustomerStats(key) => customers::stats(cx, program, &key).await,
        CreditCustomer(key) => customers::credit(req, cx, program, &key).await,
        CreatePortalToken(key) => portal::create_token(req, cx, program, &key).await,
        ExportCustomer(key) => privacy::export(cx, program, &key).await,
        EraseCustomer(key) => privacy::erase(req, cx, program, &key).await,
        ServerSignup => tracking::server_signup(req, cx, program).await,
        CreateTransaction => transactions::create(req, cx, program).await,
        ListTransactions => transactions::list(&req, cx, program).await,
        GetTransaction(key) => transactions::get(cx, program, &key).await,
        DeleteTransaction(key) => transactions::delete(cx, program, &key).await,
        RecentEvents => webhooks::recent_events(&req, cx, pid).await,
        CreateWebhook => webhooks::create(req, cx, pid).await,
        ListWebhooks => webhooks::list(cx, pid).await,
        GetWebhook(id) => webhooks::get(cx, pid, &id).await,
        UpdateWebhook(id) => webhooks::update(req, cx, pid, &id).await,
        DeleteWebhook(id) => webhooks::delete(cx, pid, &id).await,
        ListDeliveries(id) => webhooks::deliveries(&req, cx, pid, &id).await,
        ResendDelivery(id, delivery) => webhooks::resend(cx, pid, &id, &delivery).await,
        TestWebhook(id) => webhooks::send_test(cx, pid, &id).await,
        RotateWebhookSecret(id) => webhooks::rotate_secret(cx, pid, &id).await,
        ListRewards => rewards::list(&req, cx, program).await,
        ApproveReward(id) => rewards::approve(cx, program, &id).await,
        RejectReward(id) => rewards::reject(req, cx, program, &id).await,
        CreatePayout => payouts::create(req, cx, program).await,
        ListPayouts => payouts::list(&req, cx, program).await,
        ListPayables => payouts::payables(&req, cx, program).await,
        ExportCsv(file) => records::export::respond(cx, program, &file).await,
        ListSuppressions => emails::suppressions(&req, cx, program).await,
        AddSuppression => emails::suppress(req, cx, program).await,
        DeleteSuppression(email) => emails::unsuppress(cx, program, &email).await,
    }
}
