//! E-mail as an outbox target: a claimed delivery (`email:{message}`) is composed
//! when it is sent — the program's templates then, the recipient's suppression
//! then — and handed to the provider `EMAIL_PROVIDER` names (docs/emails.md).

use crate::context::{dev_mode, setting, worker_secret};
use crate::ids;
use crate::outbound::{self, Outcome};
use crate::outbox::store::{self, DevMail, EmailRow};
use edgeref_shared::email::{self, unsubscribe, EmailSettings, Message, Placeholder as P, Rendered, Values};
use edgeref_shared::reward::FriendReward;
use edgeref_shared::{link, team, ReferralCode, TrackingSettings};
use serde_json::{json, Value};
use worker::{D1Database, Env, Method};

/// Where mail goes, from `EMAIL_PROVIDER`, `EMAIL_API_URL` and `EMAIL_API_TOKEN`.
#[derive(Debug, Clone, PartialEq)]
pub enum Provider {
    Cloudflare,
    Postmark { url: String, token: String },
    Resend { url: String, token: String },
    /// Kept in D1 for `/__dev/mail` (development mode only).
    Dev,
    /// Nothing can be sent, and why.
    Unset(String),
}

pub fn provider(env: &Env) -> Provider {
    let token = || setting(env, "EMAIL_API_TOKEN").unwrap_or_default();
    let url = |default: &str| setting(env, "EMAIL_API_URL").unwrap_or_else(|| default.to_owned()).trim_end_matches('/').to_owned();
    match setting(env, "EMAIL_PROVIDER").as_deref() {
        Some("cloudflare") => Provider::Cloudflare,
        Some("postmark") => Provider::Postmark { url: url("https://api.postmarkapp.com"), token: token() },
        Some("resend") => Provider::Resend { url: url("https://api.resend.com"), token: token() },
        Some("dev") | None if dev_mode(env) => Provider::Dev,
        None => Provider::Unset("no e-mail provider: set EMAIL_PROVIDER (docs/emails.md)".into()),
        Some(other) => Provider::Unset(format!("EMAIL_PROVIDER {other:?} is not one of cloudflare, postmark, resend (dev only in development)")),
    }
}

/// One message, composed, for a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub message: Message,
    pub from_name: Option<String>,
    pub from_address: String,
    pub to: String,
    pub reply_to: Option<String>,
    pub rendered: Rendered,
    pub headers: Vec<(&'static str, String)>,
}

impl Mail {
    /// `From` as a header: `"Name" <address>`, the name quoted.
    pub fn from_header(&self) -> String {
        match &self.from_name {
            Some(name) => format!("\"{}\" <{}>", name.replace('\\', "\\\\").replace('"', "\\\""), self.from_address),
            None => self.from_address.clone(),
        }
    }
}

/// Composes and sends one claimed e-mail delivery.
pub async fn deliver(env: &Env, db: &D1Database, row: &EmailRow) -> Outcome {
    let mail = match compose(env, row) {
        Ok(mail) => mail,
        Err(outcome) => return outcome,
    };
    // The log shows whom it went to even if the attempt's own record fails.
    let _ = store::batch(db, vec![store::set_recipient(db, &row.id, &mail.to)]).await;
    send(env, db, row, &mail).await
}

/// Nothing to send, for a reason the delivery log shows; counts as delivered.
fn skipped(reason: &str) -> Outcome {
    Outcome { body: Some(format!("not sent: {reason}")), ..Outcome::nothing_to_do() }
}

/// Links in mail: `PUBLIC_URL` when set, else the origin the owner last used.
pub fn link_origin(env: &Env, edge_origin: Option<&str>) -> String {
    setting(env, "PUBLIC_URL").or_else(|| edge_origin.map(str::to_owned)).unwrap_or_default().trim_end_matches('/').to_owned()
}

/// The one-click unsubscribe address for `address` in the program.
pub fn unsubscribe_url(env: &Env, origin: &str, program_id: &str, address: &str) -> Option<String> {
    let key = unsubscribe::key_from_secret(&worker_secret(env)?);
    Some(format!("{origin}/u/{}", unsubscribe::token(&key, program_id, address)))
}

/// A program's part of composing: what the stored row holds, parsed.
pub struct ProgramPart<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub public_id: &'a str,
    pub website_url: &'a str,
    pub currency: &'a str,
    pub tracking: TrackingSettings,
    pub emails: EmailSettings,
    pub origin: String,
}

impl ProgramPart<'_> {
    fn portal(&self) -> String {
        format!("{}/portal/{}", self.origin, self.public_id)
    }

    fn referral_link(&self, code: Option<&str>) -> String {
        code.and_then(|c| ReferralCode::parse(c).ok()).map(|c| link::build(self.website_url, &self.tracking, &c)).unwrap_or_default()
    }

    /// What the dashboard's preview and a test message show: Ann, her friend Bob, $5.00.
    pub fn sample_values(&self, m: Message, friend_reward: Option<&FriendReward>) -> Values {
        let code = match (m, friend_reward) {
            (Message::SignInCode, _) => "123456".to_owned(),
            (_, Some(FriendReward::Coupon { code, .. })) => code.clone(),
            (_, Some(FriendReward::StripePromotionCode { .. })) => "FRIEND-7KQ2MX9P".to_owned(),
            _ => String::new(),
        };
        let amount = match (m, friend_reward) {
            (Message::FriendWelcome, Some(reward)) => email::describe_friend_reward(reward, self.currency),
            _ => email::money(500, self.currency),
        };
        Values::new()
            .with(P::Name, "Ann")
            .with(P::FriendName, "Bob")
            .with(P::ProgramName, self.name)
            .with(P::PortalLink, self.portal())
            .with(P::ReferralLink, self.referral_link(Some("ann2k9x4")))
            .with(P::Amount, amount)
            .with(P::Code, code)
    }
}

fn program_part<'a>(env: &Env, row: &'a EmailRow) -> Option<ProgramPart<'a>> {
    Some(ProgramPart {
        id: &row.program_id,
        name: row.program_name.as_deref()?,
        public_id: row.public_id.as_deref()?,
        website_url: row.website_url.as_deref()?,
        currency: row.currency.as_deref()?,
        tracking: serde_json::from_str(row.tracking.as_deref()?).ok()?,
        emails: serde_json::from_str(row.emails.as_deref()?).ok()?,
        origin: link_origin(env, row.edge_origin.as_deref()),
    })
}

/// The message a delivery stands for, ready to send; or why nothing is sent.
pub fn compose(env: &Env, row: &EmailRow) -> Result<Mail, Outcome> {
    let message = row.integration.strip_prefix("email:").and_then(Message::parse).ok_or_else(|| Outcome::final_failure(format!("no such message: {}", row.integration)))?;
    let event: Value = serde_json::from_str(&row.payload).unwrap_or_default();
    let data = &event["data"];
    if let Some(kind) = data["team"].as_str() {
        return team_mail(env, message, kind, data);
    }
    let program = program_part(env, row).ok_or_else(|| skipped("the program no longer exists"))?;
    let test = event["type"] == "email.test";
    if !test && !program.emails.sends(message) {
        return Err(skipped("e-mails or this message were switched off"));
    }
    // An erased customer's address is "": nothing goes to them any more.
    let to = data["to"].as_str().map(str::to_owned).or_else(|| row.customer_email.clone()).filter(|to| !to.is_empty()).ok_or_else(|| skipped("the customer no longer exists or was erased"))?;
    if row.suppressed != 0 && message.is_marketing() && !test {
        return Err(skipped("the address unsubscribed"));
    }
    let values = if test { program.sample_values(message, program_reward(data).as_ref()) } else { values(env, &program, message, row, data, &to)? };
    let unsubscribe = message.is_marketing().then(|| unsubscribe_url(env, &program.origin, program.id, &to)).flatten();
    let own = program.emails.message(message);
    let rendered = email::render(message, own.subject, own.body, &values, unsubscribe.as_deref()).map_err(Outcome::final_failure)?;
    let from_address = program.emails.from_address.clone().or_else(|| setting(env, "EMAIL_FROM")).ok_or_else(|| Outcome::final_failure("no sender: set emails.from_address"))?;
    let headers = match unsubscribe {
        Some(url) => vec![("List-Unsubscribe", format!("<{url}>")), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned())],
        None => Vec::new(),
    };
    Ok(Mail { message, from_name: program.emails.from_name.clone(), from_address, to, reply_to: program.emails.reply_to.clone(), rendered, headers })
}

/// A team message (a sign-in code, an invitation): Edgeref's own, from `EMAIL_FROM`, whatever any program's e-mail settings say.
fn team_mail(env: &Env, message: Message, kind: &str, data: &Value) -> Result<Mail, Outcome> {
    let to = data["to"].as_str().ok_or_else(|| Outcome::final_failure("no recipient"))?.to_owned();
    let from_address = setting(env, "EMAIL_FROM").ok_or_else(|| Outcome::final_failure("no sender: set EMAIL_FROM"))?;
    let rendered = match kind {
        "invitation" => team::invitation_mail(data["role"].as_str().unwrap_or_default(), data["link"].as_str().unwrap_or_default()),
        _ => {
            let code = crate::sealed::open(env, data["code"].as_str().unwrap_or_default()).map_err(|_| Outcome::final_failure("the sign-in code cannot be read (SECRETS_KEY changed?)"))?;
            team::code_mail(&code)
        }
    };
    Ok(Mail { message, from_name: Some("Edgeref".into()), from_address, to, reply_to: None, rendered, headers: Vec::new() })
}

/// A test message's friend reward (the handler puts the program's in its payload).
fn program_reward(data: &Value) -> Option<FriendReward> {
    serde_json::from_value(data["friend_reward"].clone()).ok()
}

/// The placeholders' values for a real message, from its event and the customer it is about.
fn values(env: &Env, program: &ProgramPart, m: Message, row: &EmailRow, data: &Value, to: &str) -> Result<Values, Outcome> {
    let name = email::first_name(row.customer_name.as_deref(), if m == Message::FriendInvite { "A friend" } else { "there" });
    let mut v = Values::new()
        .with(P::ProgramName, program.name)
        .with(P::PortalLink, program.portal())
        .with(P::Name, name)
        .with(P::ReferralLink, program.referral_link(row.customer_code.as_deref()));
    match m {
        Message::FriendJoined => v = v.with(P::FriendName, email::first_name(data["name"].as_str(), "A friend")),
        Message::RewardApproved | Message::PayoutSent => v = v.with(P::Amount, email::money(data["amount"].as_i64().unwrap_or(0), program.currency)),
        Message::FriendWelcome => {
            let reward = program_reward(data);
            match (&reward, &row.customer_promotion_code) {
                (Some(FriendReward::Coupon { code, .. }), _) => v = v.with(P::Code, code.as_str()),
                (Some(FriendReward::StripePromotionCode { .. }), Some(code)) => v = v.with(P::Code, code.as_str()),
                // Stripe has not answered yet: wait one backoff step (5 s) for the code, once.
                (Some(FriendReward::StripePromotionCode { .. }), None) if row.attempts == 0 => return Err(Outcome::failed("waiting for the friend's Stripe promotion code")),
                _ => {}
            }
            let described = match (&reward, &row.customer_promotion_code) {
                (Some(FriendReward::StripePromotionCode { .. }), Some(code)) => format!("your own discount code {code}"),
                _ => reward.map(|r| email::describe_friend_reward(&r, program.currency)).unwrap_or_else(|| "a warm welcome".into()),
            };
            v = v.with(P::Amount, described);
        }
        Message::SignInCode => {
            let sealed = data["code"].as_str().unwrap_or_default();
            let code = crate::sealed::open(env, sealed).map_err(|_| Outcome::final_failure("the sign-in code cannot be read (SECRETS_KEY changed?)"))?;
            let address = percent_encoding::utf8_percent_encode(to, percent_encoding::NON_ALPHANUMERIC);
            v = v.with(P::PortalLink, format!("{}#email={address}&code={code}", program.portal())).with(P::Code, code);
        }
        Message::ReferrerWelcome | Message::FriendInvite => {}
    }
    Ok(v)
}

async fn send(env: &Env, db: &D1Database, row: &EmailRow, mail: &Mail) -> Outcome {
    let outcome = match provider(env) {
        Provider::Postmark { url, token } => postmark(env, &url, &token, mail).await,
        Provider::Resend { url, token } => resend(env, &url, &token, &row.id, mail).await,
        Provider::Cloudflare => cloudflare(env, mail).await,
        Provider::Dev => dev(db, row, mail).await,
        Provider::Unset(why) => Outcome::final_failure(why),
    };
    Outcome { retryable: outcome.retryable && is_retryable(outcome.code), ..outcome }
}

/// A provider's 4xx (but 429) refuses this message: retrying cannot help.
fn is_retryable(code: Option<u16>) -> bool {
    code.is_none_or(|c| c == 429 || c >= 500)
}

/// Postmark's `POST /email` body.
pub fn postmark_body(mail: &Mail) -> Value {
    let headers: Vec<Value> = mail.headers.iter().map(|(name, value)| json!({"Name": name, "Value": value})).collect();
    let mut body = json!({
        "From": mail.from_header(),
        "To": mail.to,
        "Subject": mail.rendered.subject,
        "HtmlBody": mail.rendered.html,
        "TextBody": mail.rendered.text,
        "Headers": headers,
        "MessageStream": "outbound",
    });
    if let Some(reply_to) = &mail.reply_to {
        body["ReplyTo"] = json!(reply_to);
    }
    body
}

async fn postmark(env: &Env, url: &str, token: &str, mail: &Mail) -> Outcome {
    let headers = outbound::headers([("x-postmark-server-token", token), ("content-type", "application/json"), ("accept", "application/json")]);
    outbound::send(Method::Post, &format!("{url}/email"), headers, Some(&postmark_body(mail).to_string()), outbound::timeout(env)).await
}

/// Resend's `POST /emails` body.
pub fn resend_body(mail: &Mail) -> Value {
    let headers: serde_json::Map<String, Value> = mail.headers.iter().map(|(name, value)| (name.to_string(), json!(value))).collect();
    let mut body = json!({
        "from": mail.from_header(),
        "to": [mail.to],
        "subject": mail.rendered.subject,
        "html": mail.rendered.html,
        "text": mail.rendered.text,
        "headers": headers,
    });
    if let Some(reply_to) = &mail.reply_to {
        body["reply_to"] = json!(reply_to);
    }
    body
}

/// Resend deduplicates on `Idempotency-Key`: a retry after a lost answer sends nothing twice.
async fn resend(env: &Env, url: &str, token: &str, delivery_id: &str, mail: &Mail) -> Outcome {
    let auth = format!("Bearer {token}");
    let headers = outbound::headers([("authorization", auth.as_str()), ("content-type", "application/json"), ("idempotency-key", delivery_id)]);
    outbound::send(Method::Post, &format!("{url}/emails"), headers, Some(&resend_body(mail).to_string()), outbound::timeout(env)).await
}

/// Cloudflare's Email Service, through the `[[send_email]]` binding named `EMAIL`.
async fn cloudflare(env: &Env, mail: &Mail) -> Outcome {
    use worker::js_sys::{Object, Reflect};
    use worker::wasm_bindgen::{JsCast, JsValue};
    let binding = match env.send_email("EMAIL") {
        Ok(b) => b,
        Err(e) => return Outcome::final_failure(format!("no [[send_email]] binding named EMAIL: {e}")),
    };
    let from = worker::EmailAddress::new(mail.from_name.as_deref().unwrap_or(""), &mail.from_address);
    let message = worker::SendEmailBuilder::new_with_email_address_and_str(&from, &mail.to, &mail.rendered.subject);
    message.set_text(&mail.rendered.text);
    message.set_html(&mail.rendered.html);
    if let Some(reply_to) = &mail.reply_to {
        message.set_reply_to(reply_to);
    }
    let headers = Object::new();
    for (name, value) in &mail.headers {
        let _ = Reflect::set(&headers, &JsValue::from_str(name), &JsValue::from_str(value));
    }
    message.set_headers(headers.unchecked_ref());
    match binding.send_with_builder(&message).await {
        Ok(sent) => Outcome { code: Some(202), body: Some(sent.message_id()), error: None, retryable: true },
        Err(e) => Outcome::failed(format!("Email Service: {}", e.message())),
    }
}

/// `make dev`: kept for `/__dev/mail` instead of sent.
async fn dev(db: &D1Database, row: &EmailRow, mail: &Mail) -> Outcome {
    let headers: serde_json::Map<String, Value> = mail.headers.iter().map(|(n, v)| (n.to_string(), json!(v))).collect();
    let kept = DevMail {
        delivery_id: &row.id,
        program_id: &row.program_id,
        message: mail.message.as_str(),
        from: &mail.from_header(),
        to: &mail.to,
        reply_to: mail.reply_to.as_deref(),
        subject: &mail.rendered.subject,
        text: &mail.rendered.text,
        html: &mail.rendered.html,
        headers: &Value::Object(headers).to_string(),
    };
    match store::keep_dev_mail(db, &kept, ids::now_ms()).await {
        Ok(()) => Outcome { code: Some(202), body: Some("kept for /__dev/mail".into()), error: None, retryable: true },
        Err(e) => Outcome::failed(format!("keeping the message failed: {e:?}")),
    }
}
