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
        FriendReward::StripePromotionCode { .. } => "a discount code of your own".into(),
    }
}

/// The messages an event with `data` (the API's object) sends: `messages_for`, and
/// `reward_approved` for a reward approved as it is created (no hold, automatic
/// approval: it has no `reward.approved` of its own). Nothing for a zero reward.
pub fn messages_for_event(kind: EventKind, data: &serde_json::Value) -> &'static [Message] {
    match kind {
        EventKind::RewardCreated if data["status"] == "approved" && data["amount"].as_i64().unwrap_or(0) > 0 => &[Message::RewardApproved],
        EventKind::RewardApproved if data["amount"].as_i64().unwrap_or(0) <= 0 => &[],
        _ => messages_for(kind, data["referred_by"].is_string()),
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

/// An amount of minor units as a person reads it in `currency` (ISO 4217), with the
/// currency's own number of decimals: `$5.00`, `€12.50`, `£0.99` for the three signs
/// nobody misreads, and the code after the number for every other currency (`500 JPY`,
/// `12.00 CHF`, `1.234 KWD`): `¥` is also the yuan's, `$` also the Canadian dollar's,
/// `₣` is not what the Swiss write, and `¤` names no currency at all.
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
    match currency {
        "USD" => alloc::format!("{sign}${number}"),
        "EUR" => alloc::format!("{sign}€{number}"),
        "GBP" => alloc::format!("{sign}£{number}"),
        _ => alloc::format!("{sign}{number} {currency}"),
    }
}

/// A customer's name for a greeting (customers keep their surname apart), or `fallback`.
pub fn first_name<'a>(name: Option<&'a str>, fallback: &'a str) -> &'a str {
    name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(fallback)
}

#[cfg(test)]
mod event_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reward_approved_as_it_is_created_sends_reward_approved_and_a_zero_one_nothing() {
        let approved = json!({"status": "approved", "amount": 500});
        assert_eq!(messages_for_event(EventKind::RewardCreated, &approved), [Message::RewardApproved]);
        assert_eq!(messages_for_event(EventKind::RewardCreated, &json!({"status": "pending", "amount": 500})), []);
        assert_eq!(messages_for_event(EventKind::RewardCreated, &json!({"status": "approved", "amount": 0})), []);
        assert_eq!(messages_for_event(EventKind::RewardApproved, &approved), [Message::RewardApproved]);
        assert_eq!(messages_for_event(EventKind::RewardApproved, &json!({"amount": 0})), []);
    }

    #[test]
    fn a_customer_is_welcomed_as_a_referrer_or_as_a_friend_by_its_referred_by() {
        assert_eq!(messages_for_event(EventKind::CustomerCreated, &json!({"referred_by": null})), [Message::ReferrerWelcome]);
        assert_eq!(messages_for_event(EventKind::CustomerCreated, &json!({"referred_by": "ann"})), [Message::FriendWelcome, Message::FriendJoined]);
        assert_eq!(messages_for_event(EventKind::PayoutCreated, &json!({"amount": 100})), [Message::PayoutSent]);
        assert_eq!(messages_for_event(EventKind::CustomerUpdated, &json!({"referred_by": "ann"})), []);
    }
}

#[cfg(test)]
mod tests {
    use super::template::tests::read_html;
    use super::*;
    use alloc::format;
    use proptest::prelude::*;
    use Placeholder::*;

    #[test]
    fn each_event_sends_the_messages_the_docs_list() {
        for kind in EventKind::ALL {
            for referred in [false, true] {
                let expected: &[Message] = match (kind, referred) {
                    (EventKind::CustomerCreated, false) => &[Message::ReferrerWelcome],
                    (EventKind::CustomerCreated, true) => &[Message::FriendWelcome, Message::FriendJoined],
                    (EventKind::RewardApproved, _) => &[Message::RewardApproved],
                    (EventKind::PayoutCreated, _) => &[Message::PayoutSent],
                    _ => &[],
                };
                assert_eq!(messages_for(kind, referred), expected, "{kind:?} referred={referred}");
            }
        }
        // The two that no event sends: the Worker sends them when asked.
        let sent: Vec<Message> = EventKind::ALL.iter().flat_map(|k| [false, true].map(|r| messages_for(*k, r))).flatten().copied().collect();
        assert!(!sent.contains(&Message::FriendInvite) && !sent.contains(&Message::SignInCode));
        assert_eq!(messages_for(EventKind::CustomerUpdated, false), []);
        assert_eq!(messages_for(EventKind::RewardRejected, true), []);
    }

    fn sample() -> Values {
        Values::new()
            .with(Name, "Ann")
            .with(FriendName, "Bob")
            .with(ReferralLink, "https://shop.example/?ref=ann1")
            .with(PortalLink, "https://edge.example/portal/p1")
            .with(Amount, "$5.00")
            .with(ProgramName, "Shop & Co")
            .with(Code, "012345")
    }

    #[test]
    fn a_message_renders_to_a_subject_a_text_part_and_an_html_document_with_the_footer() {
        let r = render(Message::ReferrerWelcome, "{{ program_name }}: {{name}}", "Hi {{name}},\n\n{{referral_link}}", &sample(), Some("https://edge.example/u/t\"k")).unwrap();
        assert_eq!(r.subject, "Shop & Co: Ann");
        assert_eq!(r.text, "Hi Ann,\n\nhttps://shop.example/?ref=ann1\n\n--\nYou get this e-mail from the Shop & Co referral program. Unsubscribe: https://edge.example/u/t\"k\n");
        assert_eq!(
            r.html,
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Shop &amp; Co: Ann</title></head>\n\
             <body style=\"font:15px/1.5 -apple-system,'Segoe UI',Roboto,sans-serif;color:#111827;max-width:560px;margin:0 auto;padding:16px\">\n\
             <p>Hi Ann,</p>\n<p><a href=\"https://shop.example/?ref=ann1\">https://shop.example/?ref=ann1</a></p>\n\
             <hr style=\"border:0;border-top:1px solid #e5e7eb;margin:24px 0 12px\">\n\
             <p style=\"color:#6b7280;font-size:12px\">You get this e-mail from the Shop &amp; Co referral program. <a href=\"https://edge.example/u/t&quot;k\">Unsubscribe</a></p>\n\
             </body></html>\n"
        );
        assert_eq!(
            read_html(&r.html).unwrap(),
            "\nShop & Co: Ann\n\nHi Ann,\nhttps://shop.example/?ref=ann1\n\nYou get this e-mail from the Shop & Co referral program. Unsubscribe\n\n"
        );
    }

    #[test]
    fn without_an_unsubscribe_link_there_is_no_footer() {
        let m = Message::SignInCode;
        let r = render(m, m.default_subject(), m.default_body(), &sample(), None).unwrap();
        assert_eq!(r.subject, "012345 is your Shop & Co sign-in code");
        assert_eq!(
            r.text,
            "Your Shop & Co sign-in code is 012345\n\nOr sign in with one click:\n\nhttps://edge.example/portal/p1\n\n\
             The code works for 10 minutes. If you did not ask for it, you can ignore this e-mail."
        );
        assert!(!r.html.contains("<hr") && !r.html.contains("Unsubscribe"));
        assert!(r.html.ends_with("you can ignore this e-mail.</p>\n</body></html>\n"), "{}", r.html);
        assert_eq!(r.html.matches("<a href=\"https://edge.example/portal/p1\">").count(), 1);
    }

    #[test]
    fn a_template_the_message_does_not_allow_is_an_error() {
        let v = sample();
        let known = "this message knows {{code}}, {{portal_link}}, {{program_name}}";
        assert_eq!(render(Message::SignInCode, "Hi {{name}}", "{{code}}", &v, None), Err(format!("unknown placeholder {{{{name}}}}: {known}")));
        assert_eq!(render(Message::SignInCode, "{{code}}", "Hi {{name}}", &v, None), Err(format!("unknown placeholder {{{{name}}}}: {known}")));
        assert_eq!(render(Message::SignInCode, "{{code", "{{code}}", &v, None), Err(String::from("a {{ is never closed by }}")));
        assert_eq!(render(Message::SignInCode, "{{code}}", "{{code", &v, None), Err(String::from("a {{ is never closed by }}")));
    }

    #[test]
    fn a_subject_keeps_to_one_line_and_is_escaped_in_the_title() {
        let v = sample().with(Name, "Ann\r\nBcc: all@x.example").with(ProgramName, "<b>P</b>");
        let r = render(Message::FriendInvite, Message::FriendInvite.default_subject(), "x", &v, None).unwrap();
        assert_eq!(r.subject, "Ann  Bcc: all@x.example invites you to <b>P</b>");
        assert!(r.html.contains("<title>Ann  Bcc: all@x.example invites you to &lt;b&gt;P&lt;/b&gt;</title>"), "{}", r.html);
    }

    #[test]
    fn every_message_renders_its_defaults_with_every_placeholder_filled() {
        for m in Message::ALL {
            let r = render(m, m.default_subject(), m.default_body(), &sample(), Some("https://edge.example/u/tok")).unwrap();
            assert!(!r.subject.contains("{{") && !r.text.contains("{{") && !r.html.contains("{{"), "{m:?}");
            assert!(r.subject.contains("Shop & Co") && r.text.contains("Shop & Co"), "{m:?}");
            read_html(&r.html).unwrap_or_else(|e| panic!("{m:?}: {e}"));
        }
    }

    #[test]
    fn money_reads_as_people_write_it_in_each_currency() {
        assert_eq!(money(500, "USD"), "$5.00");
        assert_eq!(money(1250, "EUR"), "€12.50");
        assert_eq!(money(99, "GBP"), "£0.99");
        assert_eq!(money(500, "JPY"), "500 JPY");
        assert_eq!(money(1200, "CHF"), "12.00 CHF");
        assert_eq!(money(1200, "CNY"), "12.00 CNY");
        assert_eq!(money(1200, "CAD"), "12.00 CAD", "$ would read as US dollars");
        assert_eq!(money(1200, "SEK"), "12.00 SEK");
        assert_eq!(money(1234, "KWD"), "1.234 KWD");
        assert_eq!(money(5, "BHD"), "0.005 BHD");
        assert_eq!(money(12_345, "CLF"), "1.2345 CLF", "four decimals");
        assert_eq!(money(500, "XAU"), "5.00 XAU", "no decimals known: two");
        assert_eq!(money(500, "XYZ"), "5.00 XYZ", "an unknown code: two decimals, the code");
        assert_eq!(money(500, "usd"), "5.00 usd", "codes are upper case (validate::currency)");
        assert_eq!(money(500, ""), "5.00 ");
    }

    #[test]
    fn money_shows_zero_negatives_and_the_largest_amounts() {
        assert_eq!(money(0, "USD"), "$0.00");
        assert_eq!(money(0, "JPY"), "0 JPY");
        assert_eq!(money(0, "KWD"), "0.000 KWD");
        assert_eq!(money(-1, "USD"), "-$0.01");
        assert_eq!(money(-500, "EUR"), "-€5.00");
        assert_eq!(money(-500, "JPY"), "-500 JPY");
        assert_eq!(money(-1234, "BHD"), "-1.234 BHD");
        assert_eq!(money(7, "GBP"), "£0.07");
        assert_eq!(money(100, "USD"), "$1.00");
        assert_eq!(money(1_000_000_000_000_000, "USD"), "$10000000000000.00");
        assert_eq!(money(i64::MAX, "USD"), "$92233720368547758.07");
        assert_eq!(money(i64::MIN, "USD"), "-$92233720368547758.08");
        assert_eq!(money(i64::MIN, "JPY"), "-9223372036854775808 JPY");
        assert_eq!(money(i64::MAX, "KWD"), "9223372036854775.807 KWD");
    }

    #[test]
    fn a_greeting_uses_the_name_trimmed_or_the_fallback() {
        assert_eq!(first_name(Some("Ann"), "there"), "Ann");
        assert_eq!(first_name(Some("  Ann Marie\t"), "there"), "Ann Marie");
        assert_eq!(first_name(Some(""), "there"), "there");
        assert_eq!(first_name(Some(" \n "), "A friend"), "A friend");
        assert_eq!(first_name(None, "there"), "there");
    }

    #[test]
    fn each_message_finds_its_customer_where_the_event_keeps_it() {
        let paths: Vec<_> = Message::ALL.iter().map(|m| customer_key_path(*m)).collect();
        assert_eq!(
            paths,
            [Some("$.data.key"), Some("$.data.referred_by"), Some("$.data.customer.key"), Some("$.data.customer.key"), Some("$.data.key"), Some("$.data.referrer"), None]
        );
    }

    #[test]
    fn a_friends_reward_is_described_in_words() {
        use crate::reward::{FriendReward, Trigger};
        assert_eq!(describe_friend_reward(&FriendReward::Fixed { amount: 500, on: Trigger::Signup }, "USD"), "$5.00");
        assert_eq!(describe_friend_reward(&FriendReward::Fixed { amount: 500, on: Trigger::Sale }, "JPY"), "500 JPY");
        assert_eq!(describe_friend_reward(&FriendReward::Percent { percent: 10 }, "EUR"), "10% back on your purchases");
        assert_eq!(describe_friend_reward(&FriendReward::Coupon { code: "WELCOME10".into(), description: "10% off".into() }, "EUR"), "10% off with the code WELCOME10");
        assert_eq!(describe_friend_reward(&FriendReward::StripePromotionCode { coupon: "C".into(), expires_days: None }, "EUR"), "a discount code of your own");
    }

    #[test]
    fn an_event_sends_reward_approved_only_for_an_amount_above_zero() {
        use serde_json::json;
        let created = |v| messages_for_event(EventKind::RewardCreated, &v);
        let approved = |v| messages_for_event(EventKind::RewardApproved, &v);
        assert_eq!(created(json!({"status": "approved", "amount": 1})), [Message::RewardApproved]);
        assert_eq!(approved(json!({"amount": 1})), [Message::RewardApproved]);
        for amount in [json!(0), json!(-5), json!(null), json!("500"), json!(1.5)] {
            assert_eq!(created(json!({"status": "approved", "amount": amount})), [], "{amount}");
            assert_eq!(approved(json!({"amount": amount})), [], "{amount}");
        }
        assert_eq!(created(json!({"amount": 500})), [], "no status");
        assert_eq!(created(json!({"status": "rejected", "amount": 500})), []);
        assert_eq!(messages_for_event(EventKind::CustomerCreated, &json!({})), [Message::ReferrerWelcome]);
        assert_eq!(messages_for_event(EventKind::CustomerCreated, &json!({"referred_by": 5})), [Message::ReferrerWelcome], "only a key refers");
    }

    fn hostile() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::from("<img src=x onerror=alert(1)>")),
            Just(String::from("\"><script>alert(1)</script>\r\nBcc: x@y.example")),
            Just(String::from("javascript:alert(1)")),
            Just(String::from("https://x.example/\" onclick=\"alert(1)")),
            "[<>\"'&=/ a-z\r\n\t{}]{0,40}",
            any::<String>(),
        ]
    }

    fn any_values() -> impl Strategy<Value = Values> {
        prop::collection::vec(hostile(), 7).prop_map(|v| Placeholder::ALL.into_iter().zip(v).fold(Values::new(), |values, (p, v)| values.with(p, v)))
    }

    proptest! {
        /// Whatever the customers' names and the other values hold, every message renders
        /// to a subject of one line and an HTML document of the renderer's tags only.
        #[test]
        fn no_value_breaks_out_of_any_message(m in prop::sample::select(Message::ALL.to_vec()), values in any_values(), footer in any::<bool>(), program in hostile()) {
            let values = values.with(ProgramName, program);
            let unsubscribe = footer.then_some("https://edge.example/u/a.b.c");
            let r = render(m, m.default_subject(), m.default_body(), &values, unsubscribe).unwrap();
            prop_assert!(!r.subject.contains(['\r', '\n']) && !r.subject.chars().any(char::is_control), "{:?}", r.subject);
            read_html(&r.html).map_err(|e| TestCaseError::fail(format!("{e}\n{}", r.html)))?;
            prop_assert_eq!(r.html.contains("<hr "), footer);
            prop_assert_eq!(r.text.contains("Unsubscribe: https://edge.example/u/a.b.c"), footer);
        }

        #[test]
        fn money_has_the_decimals_of_its_currency(minor in any::<i64>(), currency in prop::sample::select(vec!["USD", "EUR", "GBP", "JPY", "CHF", "KWD", "BHD", "CLF", "XYZ"])) {
            let shown = money(minor, currency);
            let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
            let abs = minor.unsigned_abs().to_string();
            prop_assert_eq!(digits.trim_start_matches('0'), abs.trim_start_matches('0'));
            prop_assert_eq!(shown.starts_with('-'), minor < 0);
            let decimals = shown.split_once('.').map_or(0, |(_, d)| d.chars().take_while(char::is_ascii_digit).count());
            let expected = match currency { "JPY" => 0, "KWD" | "BHD" => 3, "CLF" => 4, _ => 2 };
            prop_assert_eq!(decimals, expected);
        }
    }
}
