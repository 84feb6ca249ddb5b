//! E-mail for the owner and the recipient: the preview and test send of a
//! message, the e-mail delivery log, suppressions, the one-click unsubscribe
//! (`/u/{token}`, RFC 8058) and, in development, `/__dev/mail`. Sending itself
//! is the outbox's (`outbox::senders::email`); settings live on the program.

pub mod dev;
pub mod store;
pub mod unsubscribe;

use crate::context::{setting, Cx};
use crate::error::{ApiError, ApiResult};
use crate::http::{cursor_param, json, json_body, limit_param, page};
use crate::outbox::senders::email::{link_origin, ProgramPart};
use crate::outbox::{self, delivery};
use crate::programs::model::Program;
use crate::{audit, ids};
use edgeref_shared::email::{self, Message};
use edgeref_shared::{time, validate};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

fn message(name: &str) -> ApiResult<Message> {
    Message::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Message::ALL.iter().map(|m| m.as_str()).collect();
        ApiError::invalid("message", format!("must be one of {}", names.join(", ")))
    })
}

/// The program as composing a message sees it.
fn part<'a>(cx: &Cx, program: &'a Program) -> ProgramPart<'a> {
    ProgramPart {
        id: &program.id,
        name: &program.name,
        public_id: &program.public_id,
        website_url: &program.website_url,
        currency: &program.currency,
        tracking: program.tracking.clone(),
        emails: program.emails.clone(),
        origin: link_origin(&cx.env, Some(&cx.origin)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewRequest {
    message: String,
    subject: Option<String>,
    body: Option<String>,
}

/// `POST /v1/programs/{id}/emails/preview`: a message rendered with sample data, from
/// the subject and body given (unsaved edits) or the program's.
pub async fn preview(mut req: Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let body: PreviewRequest = json_body(&mut req).await?;
    let m = message(&body.message)?;
    let own = program.emails.message(m);
    let subject = body.subject.as_deref().unwrap_or(own.subject);
    let text = body.body.as_deref().unwrap_or(own.body);
    for (field, template) in [("subject", subject), ("body", text)] {
        email::template::parse(template, m.placeholders()).map_err(|e| ApiError::invalid(field, e))?;
    }
    let p = part(cx, program);
    let values = p.sample_values(m, program.rewards.friend.as_ref());
    let unsubscribe = m.is_marketing().then(|| format!("{}/u/sample", p.origin));
    let rendered = email::render(m, subject, text, &values, unsubscribe.as_deref()).map_err(|e| ApiError::invalid("body", e))?;
    json(200, &json!({"subject": rendered.subject, "text": rendered.text, "html": rendered.html}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestRequest {
    message: String,
    to: String,
}

/// `POST /v1/programs/{id}/emails/test {"message", "to"}`: the message with sample data,
/// through the outbox like any other (whether or not e-mails are switched on).
pub async fn send_test(mut req: Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let body: TestRequest = json_body(&mut req).await?;
    let m = message(&body.message)?;
    let to = validate::email("to", &body.to)?;
    if program.emails.from_address.is_none() && setting(&cx.env, "EMAIL_FROM").is_none() {
        return Err(ApiError::invalid("emails.from_address", "set the sender (emails.from_address) first"));
    }
    let data = json!({"to": to, "test": true, "friend_reward": program.rewards.friend});
    let out = outbox::email(&cx.db, &program.id, m, &data);
    crate::db::batch(&cx.db, out.statements).await?;
    let id = format!("{}.email:{}", out.id, m.as_str());
    outbox::dispatch(cx, vec![out.id]);
    json(202, &json!({"id": id}))
}

/// `GET /v1/programs/{id}/emails`: the e-mail delivery log, newest first.
pub async fn log(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let limit = limit_param(req, 50)?;
    let rows = store::log(&cx.db, &program.id, cursor_param(req)?, limit).await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let view = json!({
                "id": r.id,
                "message": r.integration.trim_start_matches("email:"),
                "to": r.recipient,
                "status": r.status,
                "attempts": r.attempts,
                "last_code": r.last_code,
                "note": r.note,
                "created_at": time::rfc3339(r.created_at),
                "updated_at": time::rfc3339(r.updated_at),
            });
            (r.seq, view)
        })
        .collect();
    json(200, &page(rows, limit))
}

/// `POST /v1/programs/{id}/emails/{delivery_id}/resend`: sends it again now.
pub async fn resend(cx: &Cx, program: &Program, delivery_id: &str) -> ApiResult<Response> {
    if !store::is_email_delivery(&cx.db, &program.id, delivery_id).await? {
        return Err(ApiError::not_found("e-mail delivery"));
    }
    delivery::resend(&cx.env, &cx.db, delivery_id).await?;
    json(202, &json!({"id": delivery_id, "resent": true}))
}

fn suppression_view(r: &store::SuppressionRow) -> serde_json::Value {
    json!({"email": r.address, "reason": r.reason, "created_at": time::rfc3339(r.created_at)})
}

/// `GET /v1/email-suppressions`: addresses that get nothing but sign-in codes, newest first.
pub async fn suppressions(req: &Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let limit = limit_param(req, 50)?;
    let rows = store::suppressions(&cx.db, &program.id, cursor_param(req)?, limit).await?;
    json(200, &page(rows.iter().map(|r| (r.seq, suppression_view(r))).collect(), limit))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuppressRequest {
    email: String,
}

/// `POST /v1/email-suppressions {"email"}`: suppresses an address by hand.
pub async fn suppress(mut req: Request, cx: &Cx, program: &Program) -> ApiResult<Response> {
    let body: SuppressRequest = json_body(&mut req).await?;
    let address = validate::email("email", &body.email)?.to_lowercase();
    let mut stmts = vec![store::suppress(&cx.db, &program.id, &address, "added", ids::now_ms())];
    stmts.extend(audit::record(cx, &program.id, "email.suppressed", ("email", &address), audit::created(&json!({"reason": "added"}))));
    store::batch(&cx.db, stmts).await?;
    let row = store::get_suppression(&cx.db, &program.id, &address).await?.ok_or_else(|| ApiError::not_found("suppression"))?;
    json(201, &suppression_view(&row))
}

/// `DELETE /v1/email-suppressions/{email}`: the address receives the program's e-mail again.
pub async fn unsuppress(cx: &Cx, program: &Program, address: &str) -> ApiResult<Response> {
    let row = store::get_suppression(&cx.db, &program.id, address).await?.ok_or_else(|| ApiError::not_found("suppression"))?;
    let mut stmts = vec![store::unsuppress(&cx.db, &program.id, &row.address)];
    stmts.extend(audit::record(cx, &program.id, "email.unsuppressed", ("email", &row.address), audit::deleted(&json!({"reason": row.reason}))));
    store::batch(&cx.db, stmts).await?;
    Ok(Response::empty()?.with_status(204))
}
