//! Owner API for programs: `/v1/programs`.

pub mod model;
pub mod stats;
pub mod store;

use crate::context::Cx;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body, self_origin, strip_position};
use crate::{audit, codes, db, ids};
use edgeref_shared::email::{EmailSettings, EmailSettingsPatch};
use edgeref_shared::portal::PortalSettings;
use edgeref_shared::reward::RewardRules;
use edgeref_shared::tracking::TrackingPatch;
use edgeref_shared::{json_path, validate, TrackingSettings};
use model::Program;
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateProgram {
    name: String,
    website_url: String,
    currency: Option<String>,
    /// Any of the settings; the rest keep their defaults.
    tracking: Option<TrackingPatch>,
    rewards: Option<RewardRules>,
    emails: Option<EmailSettingsPatch>,
    portal: Option<PortalSettings>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateProgram {
    #[serde(default, deserialize_with = "crate::http::present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::present")]
    website_url: Option<String>,
    #[serde(default, deserialize_with = "crate::http::present")]
    currency: Option<String>,
    #[serde(default, deserialize_with = "crate::http::present")]
    tracking: Option<TrackingPatch>,
    /// Merged into the current rules: fields left out keep their values.
    #[serde(default, deserialize_with = "crate::http::present")]
    rewards: Option<serde_json::Map<String, serde_json::Value>>,
    /// Merged field by field (`EmailSettings::apply`).
    #[serde(default, deserialize_with = "crate::http::present")]
    emails: Option<EmailSettingsPatch>,
    #[serde(default, deserialize_with = "crate::http::present")]
    portal: Option<PortalSettings>,
}

fn patched_emails(current: &EmailSettings, patch: EmailSettingsPatch) -> ApiResult<EmailSettings> {
    current.apply(patch).map_err(|e| ApiError::invalid(e.field, e.message))
}

/// The current reward rules with a patch's fields replaced, validated; an error
/// names the field under `rewards.`.
fn merged_rewards(current: &RewardRules, patch: serde_json::Map<String, serde_json::Value>) -> ApiResult<RewardRules> {
    let mut merged = serde_json::to_value(current).expect("rules serialize");
    merged.as_object_mut().expect("rules are an object").extend(patch);
    let text = serde_json::to_vec(&merged).expect("rules serialize");
    let rules: RewardRules = serde_json::from_slice(&text).map_err(|e| {
        let field = json_path::of_error(&text, &e);
        ApiError::invalid(if field.is_empty() { "rewards".to_owned() } else { format!("rewards.{field}") }, strip_position(&e.to_string()))
    })?;
    rules.validate()?;
    Ok(rules)
}

pub async fn create(mut req: Request, cx: &Cx) -> ApiResult<Response> {
    let body: CreateProgram = json_body(&mut req).await?;
    let rewards = body.rewards.unwrap_or_default();
    rewards.validate()?;
    let program = Program {
        id: ids::new_id("prg"),
        public_id: codes::public_id(),
        name: validate::name("name", &body.name, 200)?,
        website_url: validate::http_url("website_url", &body.website_url)?.to_string(),
        currency: validate::currency("currency", body.currency.as_deref().unwrap_or("USD"))?,
        tracking: match &body.tracking {
            Some(patch) => TrackingSettings::default().patched(patch).map_err(|e| ApiError::invalid(format!("tracking.{}", e.field), e.message))?,
            None => TrackingSettings::default(),
        },
        rewards,
        emails: match body.emails {
            Some(patch) => patched_emails(&EmailSettings::default(), patch)?,
            None => EmailSettings::default(),
        },
        portal: body.portal.unwrap_or_default(),
        edge_origin: Some(self_origin(&req)),
        created_at: ids::now_ms(),
    };
    validate_tracking(&program)?;
    let audit = audit::record(cx, &program.id, "program.created", ("program", &program.id), audit::created(&audited(&program)));
    db::batch(&cx.db, [store::insert(&cx.db, &program)].into_iter().chain(audit).collect()).await?;
    store::publish(&cx.env, &program).await?;
    json(201, &program.view(&self_origin(&req)))
}

/// The tracking settings against the website: runs whenever either changes, so a
/// website moved away from its cookie-domain override is a 422 naming the override.
fn validate_tracking(program: &Program) -> ApiResult<()> {
    program.tracking.validate_for_site(&program.website_url).map_err(|e| ApiError::invalid(format!("tracking.{}", e.field), e.message))
}

/// What the audit log compares of a program: its settings.
fn audited(p: &Program) -> serde_json::Value {
    json!({"name": p.name, "website_url": p.website_url, "currency": p.currency, "tracking": p.tracking, "rewards": p.rewards, "emails": p.emails, "portal": p.portal})
}

/// `GET /v1/programs`: every program the caller sees (a person's program limit hides the rest).
pub async fn list(req: &Request, cx: &Cx, limit: Option<&[String]>) -> ApiResult<Response> {
    let mut programs = store::list(&cx.db).await?;
    programs.retain(|p| edgeref_shared::team::sees(limit, &p.id));
    let origin = self_origin(req);
    let data: Vec<_> = programs.iter().map(|p| p.view(&origin)).collect();
    json(200, &json!({ "data": data, "next_cursor": null }))
}

pub fn get(req: &Request, program: &Program) -> ApiResult<Response> {
    json(200, &program.view(&self_origin(req)))
}

pub async fn update(mut req: Request, cx: &Cx, mut program: Program) -> ApiResult<Response> {
    let patch: UpdateProgram = json_body(&mut req).await?;
    let before = audited(&program);
    if let Some(name) = &patch.name {
        program.name = validate::name("name", name, 200)?;
    }
    if let Some(url) = &patch.website_url {
        program.website_url = validate::http_url("website_url", url)?.to_string();
    }
    if let Some(currency) = &patch.currency {
        program.currency = validate::currency("currency", currency)?;
    }
    if let Some(tracking) = &patch.tracking {
        program.tracking = program.tracking.patched(tracking).map_err(|e| ApiError::invalid(format!("tracking.{}", e.field), e.message))?;
    }
    if let Some(rewards) = patch.rewards {
        program.rewards = merged_rewards(&program.rewards, rewards)?;
    }
    if let Some(emails) = patch.emails {
        program.emails = patched_emails(&program.emails, emails)?;
    }
    if let Some(portal) = patch.portal {
        program.portal = portal;
    }
    program.edge_origin = Some(self_origin(&req));
    validate_tracking(&program)?;
    let audit = audit::record(cx, &program.id, "program.updated", ("program", &program.id), audit::changed(&before, &audited(&program)));
    // Balances never mix currencies: once there is money, the currency stays. Checked in the
    // same transaction as the write, so money recorded meanwhile cannot slip in between.
    let stmts = [store::currency_guard(&cx.db, &program), store::update(&cx.db, &program)].into_iter().chain(audit).collect();
    db::batch(&cx.db, stmts).await.map_err(|e| {
        if e.conflicts_on(db::GUARD) {
            ApiError::conflict("the currency cannot change once the program holds money (transactions, rewards, credits or payouts)").with_field("currency")
        } else {
            e.into()
        }
    })?;
    store::publish(&cx.env, &program).await?;
    json(200, &program.view(&self_origin(&req)))
}

pub async fn delete(cx: &Cx, program: &Program) -> ApiResult<Response> {
    let mut stmts = store::delete(&cx.db, &program.id);
    stmts.extend(audit::record(cx, &program.id, "program.deleted", ("program", &program.id), audit::deleted(&json!({"name": program.name}))));
    db::batch(&cx.db, stmts).await?;
    store::unpublish(&cx.env, &program.public_id).await?;
    codes::forget_program(&cx.env, &program.id).await?;
    json(200, &json!({ "id": program.id, "deleted": true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeref_shared::reward::{Approval, RewardRule};
    use serde_json::json;

    fn patch(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_rewards_patch_keeps_the_fields_it_leaves_out() {
        let current = RewardRules { hold_days: 14, approval: Approval::Manual, ..RewardRules::default() };
        let merged = merged_rewards(&current, patch(json!({"referrer": {"type": "percent", "percent": 20}}))).unwrap();
        assert_eq!(merged.referrer, RewardRule::percent(20));
        assert_eq!((merged.hold_days, merged.approval), (14, Approval::Manual));
        let cleared = merged_rewards(&current, patch(json!({"hold_days": 0}))).unwrap();
        assert_eq!(cleared.hold_days, 0);
    }

    #[test]
    fn a_bad_rewards_patch_names_its_field() {
        let current = RewardRules::default();
        assert_eq!(merged_rewards(&current, patch(json!({"hold_days": 400}))).unwrap_err().field.as_deref(), Some("rewards.hold_days"));
        assert_eq!(merged_rewards(&current, patch(json!({"approval": "sometimes"}))).unwrap_err().field.as_deref(), Some("rewards.approval"));
        assert_eq!(merged_rewards(&current, patch(json!({"referrer": {"type": "percent", "percent": 101}}))).unwrap_err().status, 422);
        assert!(merged_rewards(&current, patch(json!({"bonus": 1}))).unwrap_err().field.unwrap().starts_with("rewards"));
    }
}
