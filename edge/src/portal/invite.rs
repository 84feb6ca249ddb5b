//! `POST /w/invite {"emails"}`: a referrer invites friends by e-mail from the
//! widget or the portal. At most five addresses a day per referrer, one
//! invitation per address and program in 30 days, never to a suppressed address
//! or an existing customer — and the referrer is not told which of those it was.

use crate::context::Cx;
use crate::customers::model::CustomerRow;
use crate::emails::store;
use crate::error::{ApiError, ApiResult};
use crate::http::json_body;
use crate::programs::model::Program;
use crate::{ids, outbox};
use edgeref_shared::email::Message;
use edgeref_shared::time::DAY_MS;
use edgeref_shared::validate;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Request;

pub const PER_DAY: i64 = 5;
const QUIET_DAYS: i64 = 30;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteRequest {
    emails: Vec<String>,
}

/// Whether the program sends invitations (the widget shows the form only then).
pub fn offered(program: &Program) -> bool {
    program.emails.sends(Message::FriendInvite)
}

/// Sends what may be sent; the answer lists what was and why the rest was not.
pub async fn invite(req: &mut Request, cx: &Cx, program: &Program, referrer: &CustomerRow) -> ApiResult<Value> {
    let body: InviteRequest = json_body(req).await?;
    if body.emails.is_empty() || body.emails.len() > 20 {
        return Err(ApiError::invalid("emails", "give 1 to 20 addresses"));
    }
    if !offered(program) {
        return Err(ApiError::new(409, "emails_off", "this program does not send invitations by e-mail"));
    }
    let now = ids::now_ms();
    let mut used = store::invites_since(&cx.db, &program.id, &referrer.key, now.div_euclid(DAY_MS) * DAY_MS).await?;
    let (mut sent, mut skipped, mut stmts, mut events) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut seen = Vec::new();
    for given in &body.emails {
        let Ok(address) = validate::email("email", given) else {
            skipped.push(json!({"email": given, "reason": "invalid_email"}));
            continue;
        };
        let lower = address.to_lowercase();
        if seen.contains(&lower) {
            continue;
        }
        seen.push(lower);
        if used >= PER_DAY {
            skipped.push(json!({"email": address, "reason": "daily_limit"}));
        } else if !store::invitable(&cx.db, &program.id, &address, now - QUIET_DAYS * DAY_MS).await? {
            skipped.push(json!({"email": address, "reason": "not_sent"}));
        } else {
            let out = outbox::email(&cx.db, &program.id, Message::FriendInvite, &json!({"to": address, "referrer": referrer.key}));
            stmts.push(store::record_invite(&cx.db, &program.id, &address, &referrer.key, now));
            stmts.extend(out.statements);
            events.push(out.id);
            sent.push(address);
            used += 1;
        }
    }
    if !stmts.is_empty() {
        store::batch(&cx.db, stmts).await?;
        outbox::dispatch(cx, events);
    }
    Ok(json!({"sent": sent, "skipped": skipped}))
}

