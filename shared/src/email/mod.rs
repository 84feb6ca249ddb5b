//! E-mail to referrers and friends: which messages an event sends, the
//! templates and their rendering, a program's settings, money as a person
//! reads it, and the signed address of a one-click unsubscribe.

pub mod message;
pub mod settings;
pub mod template;
pub mod unsubscribe;

pub use message::{Message, Placeholder};
pub use settings::{EmailSettings, EmailSettingsPatch, FieldError};
pub use template::Values;

use crate::webhook::EventKind;
use alloc::string::String;

/// The messages an event sends (whether each is switched on is the program's
/// setting): a customer nobody referred is welcomed as a referrer; a referred
/// one is welcomed as a friend, and their referrer hears that they joined.
pub fn messages_for(kind: EventKind, referred: bool) -> &'static [Message] {
    match (kind, referred) {
        (EventKind::CustomerCreated, false) => &[Message::ReferrerWelcome],
        (EventKind::CustomerCreated, true) => &[Message::FriendWelcome, Message::FriendJoined],
        (EventKind::RewardApproved, _) => &[Message::RewardApproved],
        (EventKind::PayoutCreated, _) => &[Message::PayoutSent],
        _ => &[],
    }
}

/// Where in an event's `data` the key of the customer a message is about is found
/// (the recipient, or for `friend_invite` the referrer who invites); the address is
/// `data.to` where there is one, else that customer's.
pub fn customer_key_path(m: Message) -> Option<&'static str> {
    match m {
        Message::ReferrerWelcome | Message::FriendWelcome => Some("$.data.key"),
        Message::FriendJoined => Some("$.data.referred_by"),
        Message::RewardApproved | Message::PayoutSent => Some("$.data.customer.key"),
        Message::FriendInvite => Some("$.data.referrer"),
        Message::SignInCode => None,
    }
}

/// The friend's reward in words, for `{{amount}}` in `friend_welcome`.
pub fn describe_friend_reward(reward: &crate::reward::FriendReward, currency: &str) -> String {
    use crate::reward::FriendReward;
    match reward {
        FriendReward::Fixed { amount, .. } => money(*amount, currency),
        FriendReward::Percent { percent } => alloc::format!("{percent}% back on your purchases"),
        FriendReward::Coupon { code, description } => alloc::format!("{description} with the code {code}"),
    }
}

/// A message ready for a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders a subject and body (already validated, or a default) with `values`;
/// `unsubscribe`, when given, adds the footer with the program's name and the link.
pub fn render(m: Message, subject: &str, body: &str, values: &Values, unsubscribe: Option<&str>) -> Result<Rendered, String> {
    let known = m.placeholders();
    let subject = template::one_line(&template::text(&template::parse(subject, known)?, values));
    let body = template::parse(body, known)?;
    let mut text = template::text(&body, values);
    let mut html = template::html(&body, values);
    if let Some(url) = unsubscribe {
        let program = values.get(Placeholder::ProgramName);
        text.push_str(&alloc::format!("\n\n--\nYou get this e-mail from the {program} referral program. Unsubscribe: {url}\n"));
        html.push_str(&alloc::format!(
            "\n<hr style=\"border:0;border-top:1px solid #e5e7eb;margin:24px 0 12px\">\n<p style=\"color:#6b7280;font-size:12px\">You get this e-mail from the {} referral program. <a href=\"{}\">Unsubscribe</a></p>",
            html_escape::encode_text(program),
            html_escape::encode_double_quoted_attribute(url)
        ));
    }
    let html = alloc::format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"font:15px/1.5 -apple-system,'Segoe UI',Roboto,sans-serif;color:#111827;max-width:560px;margin:0 auto;padding:16px\">\n{html}\n</body></html>\n",
        html_escape::encode_text(&subject)
    );
    Ok(Rendered { subject, text, html })
}

/// An amount of minor units as a person reads it in `currency` (ISO 4217):
/// `$5.00`, `€12.50`, `£0.99`, and the code after the number where the symbol is
/// not one character (`500 JPY` has a symbol, `12.00 CHF` does not).
pub fn money(minor: i64, currency: &str) -> String {
    let found = iso_currency::Currency::from_code(currency);
    let exponent = found.and_then(|c| c.exponent()).unwrap_or(2) as u32;
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let number = if exponent == 0 {
        alloc::format!("{abs}")
    } else {
        let unit = 10u64.pow(exponent);
        alloc::format!("{}.{:0width$}", abs / unit, abs % unit, width = exponent as usize)
    };
    let symbol = found.map(|c| alloc::format!("{}", c.symbol())).unwrap_or_default();
    if symbol.chars().count() == 1 && !symbol.chars().all(char::is_alphanumeric) {
        alloc::format!("{sign}{symbol}{number}")
    } else {
        alloc::format!("{sign}{number} {currency}")
    }
}

/// A first name for a greeting: the first word of `name`, or `fallback`.
pub fn first_name<'a>(name: Option<&'a str>, fallback: &'a str) -> &'a str {
    name.and_then(|n| n.split_whitespace().next()).unwrap_or(fallback)
}
