//! The messages Edgeref sends, what each may say (its placeholders), and the
//! English an owner starts from.

use serde::{Deserialize, Serialize};

/// One kind of e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Message {
    ReferrerWelcome,
    FriendJoined,
    RewardApproved,
    PayoutSent,
    FriendWelcome,
    FriendInvite,
    SignInCode,
}

/// A value a template can name, as `{{name}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placeholder {
    Name,
    ReferralLink,
    PortalLink,
    Amount,
    FriendName,
    ProgramName,
    Code,
}

impl Placeholder {
    pub const ALL: [Placeholder; 7] =
        [Placeholder::Name, Placeholder::ReferralLink, Placeholder::PortalLink, Placeholder::Amount, Placeholder::FriendName, Placeholder::ProgramName, Placeholder::Code];

    pub fn as_str(self) -> &'static str {
        match self {
            Placeholder::Name => "name",
            Placeholder::ReferralLink => "referral_link",
            Placeholder::PortalLink => "portal_link",
            Placeholder::Amount => "amount",
            Placeholder::FriendName => "friend_name",
            Placeholder::ProgramName => "program_name",
            Placeholder::Code => "code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Links become anchors in the HTML part.
    pub fn is_link(self) -> bool {
        matches!(self, Placeholder::ReferralLink | Placeholder::PortalLink)
    }
}

use Placeholder::*;

impl Message {
    /// Every message, in the order the docs and the dashboard list them.
    pub const ALL: [Message; 7] = [
        Message::ReferrerWelcome,
        Message::FriendJoined,
        Message::RewardApproved,
        Message::PayoutSent,
        Message::FriendWelcome,
        Message::FriendInvite,
        Message::SignInCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Message::ReferrerWelcome => "referrer_welcome",
            Message::FriendJoined => "friend_joined",
            Message::RewardApproved => "reward_approved",
            Message::PayoutSent => "payout_sent",
            Message::FriendWelcome => "friend_welcome",
            Message::FriendInvite => "friend_invite",
            Message::SignInCode => "sign_in_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The placeholders this message's subject and body may use.
    pub fn placeholders(self) -> &'static [Placeholder] {
        match self {
            Message::ReferrerWelcome => &[Name, ReferralLink, PortalLink, ProgramName],
            Message::FriendJoined => &[Name, FriendName, ReferralLink, PortalLink, ProgramName],
            Message::RewardApproved | Message::PayoutSent => &[Name, Amount, PortalLink, ProgramName],
            Message::FriendWelcome => &[Name, Code, Amount, ReferralLink, PortalLink, ProgramName],
            Message::FriendInvite => &[Name, ReferralLink, ProgramName],
            Message::SignInCode => &[Code, PortalLink, ProgramName],
        }
    }

    /// Whether an unsubscribed address is spared it: all but the sign-in code,
    /// which the person asked for a moment ago (transactional).
    pub fn is_marketing(self) -> bool {
        self != Message::SignInCode
    }

    pub fn default_subject(self) -> &'static str {
        match self {
            Message::ReferrerWelcome => "Your {{program_name}} referral link",
            Message::FriendJoined => "{{friend_name}} joined {{program_name}} through your link",
            Message::RewardApproved => "You earned {{amount}} from {{program_name}}",
            Message::PayoutSent => "{{program_name}} paid you {{amount}}",
            Message::FriendWelcome => "Welcome to {{program_name}}: your reward is inside",
            Message::FriendInvite => "{{name}} invites you to {{program_name}}",
            Message::SignInCode => "{{code}} is your {{program_name}} sign-in code",
        }
    }

    pub fn default_body(self) -> &'static str {
        match self {
            Message::ReferrerWelcome => {
                "Hi {{name}},\n\nThanks for joining the {{program_name}} referral program. Share your link with friends:\n\n{{referral_link}}\n\n\
                 When a friend signs up through it, you earn a reward. Follow your friends and rewards here:\n\n{{portal_link}}"
            }
            Message::FriendJoined => {
                "Hi {{name}},\n\nGood news: {{friend_name}} just joined {{program_name}} through your referral link. \
                 We'll let you know when your reward is approved.\n\nKeep sharing:\n\n{{referral_link}}\n\nYour friends and rewards: {{portal_link}}"
            }
            Message::RewardApproved => {
                "Hi {{name}},\n\nYour reward of {{amount}} has been approved and added to your balance. Thank you for spreading the word!\n\n\
                 Your rewards: {{portal_link}}"
            }
            Message::PayoutSent => "Hi {{name}},\n\nWe've just paid you {{amount}} for your referrals. Thank you!\n\nYour rewards: {{portal_link}}",
            Message::FriendWelcome => {
                "Hi {{name}},\n\nWelcome to {{program_name}}! A friend referred you, so here is your reward: {{amount}}.\n\n\
                 You can refer friends too, with your own link:\n\n{{referral_link}}\n\nYour rewards: {{portal_link}}"
            }
            Message::FriendInvite => {
                "Hi,\n\n{{name}} thinks you'll like {{program_name}} and sent you their invitation:\n\n{{referral_link}}\n\n\
                 Sign up through this link so {{name}} gets the credit."
            }
            Message::SignInCode => {
                "Your {{program_name}} sign-in code is {{code}}\n\nOr sign in with one click:\n\n{{portal_link}}\n\n\
                 The code works for 10 minutes. If you did not ask for it, you can ignore this e-mail."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_and_placeholder_reads_back_from_its_name() {
        let names: Vec<_> = Message::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(names, ["referrer_welcome", "friend_joined", "reward_approved", "payout_sent", "friend_welcome", "friend_invite", "sign_in_code"]);
        for m in Message::ALL {
            assert_eq!(Message::parse(m.as_str()), Some(m));
        }
        let names: Vec<_> = Placeholder::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names, ["name", "referral_link", "portal_link", "amount", "friend_name", "program_name", "code"]);
        for p in Placeholder::ALL {
            assert_eq!(Placeholder::parse(p.as_str()), Some(p));
        }
        for unknown in ["", "Name", " name", "referrer-welcome", "Referrer_Welcome", "email", "sign_in"] {
            assert_eq!(Message::parse(unknown), None, "{unknown:?}");
            assert_eq!(Placeholder::parse(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn a_message_is_serialized_as_its_name() {
        for m in Message::ALL {
            assert_eq!(serde_json::to_value(m).unwrap(), serde_json::json!(m.as_str()));
            assert_eq!(serde_json::from_value::<Message>(serde_json::json!(m.as_str())).unwrap(), m);
        }
        assert!(serde_json::from_str::<Message>("\"ReferrerWelcome\"").is_err());
    }

    /// The table in docs/emails.md, "Messages and placeholders".
    #[test]
    fn each_message_knows_the_placeholders_the_docs_list() {
        let table: [(Message, &[&str]); 7] = [
            (Message::ReferrerWelcome, &["name", "referral_link", "portal_link", "program_name"]),
            (Message::FriendJoined, &["name", "friend_name", "referral_link", "portal_link", "program_name"]),
            (Message::RewardApproved, &["name", "amount", "portal_link", "program_name"]),
            (Message::PayoutSent, &["name", "amount", "portal_link", "program_name"]),
            (Message::FriendWelcome, &["name", "code", "amount", "referral_link", "portal_link", "program_name"]),
            (Message::FriendInvite, &["name", "referral_link", "program_name"]),
            (Message::SignInCode, &["code", "portal_link", "program_name"]),
        ];
        for (m, expected) in table {
            let got: Vec<_> = m.placeholders().iter().map(|p| p.as_str()).collect();
            assert_eq!(got, expected, "{m:?}");
        }
    }

    #[test]
    fn only_the_two_links_are_links() {
        let links: Vec<_> = Placeholder::ALL.into_iter().filter(|p| p.is_link()).collect();
        assert_eq!(links, [Placeholder::ReferralLink, Placeholder::PortalLink]);
    }

    #[test]
    fn every_message_but_the_sign_in_code_is_spared_an_unsubscribed_address() {
        let marketing: Vec<_> = Message::ALL.into_iter().filter(|m| m.is_marketing()).collect();
        assert_eq!(marketing, &Message::ALL[..6]);
        assert!(!Message::SignInCode.is_marketing());
    }

    /// The defaults are what every program starts from: each must pass the checks an
    /// owner's own text passes (its placeholders, one line and 200 characters for a subject).
    #[test]
    fn every_default_parses_against_its_own_placeholders_and_fits_the_limits() {
        use super::super::settings::{MAX_BODY_CHARS, MAX_SUBJECT_CHARS};
        use super::super::template::{parse, Piece};
        for m in Message::ALL {
            let subject = parse(m.default_subject(), m.placeholders()).unwrap_or_else(|e| panic!("{m:?} subject: {e}"));
            let body = parse(m.default_body(), m.placeholders()).unwrap_or_else(|e| panic!("{m:?} body: {e}"));
            assert!(subject.contains(&Piece::Value(Placeholder::ProgramName)), "{m:?}: the subject names the program");
            assert!(m.default_subject().chars().count() <= MAX_SUBJECT_CHARS && !m.default_subject().chars().any(char::is_control), "{m:?}");
            assert!(m.default_body().chars().count() <= MAX_BODY_CHARS, "{m:?}");
            assert!(!m.default_body().contains("  "), "{m:?}: no indentation from the source's line continuations");
            // Every placeholder a message knows says something in its default, but the
            // friend's coupon code (only some rewards have one; `{{amount}}` describes it).
            let used: Vec<_> = subject.iter().chain(&body).filter_map(|p| match p { Piece::Value(v) => Some(*v), Piece::Text(_) => None }).collect();
            let unused: Vec<_> = m.placeholders().iter().filter(|p| !used.contains(p)).copied().collect();
            assert_eq!(unused, if m == Message::FriendWelcome { &[Placeholder::Code][..] } else { &[] }, "{m:?}");
        }
    }

    #[test]
    fn the_defaults_are_the_ones_the_docs_show() {
        assert_eq!(Message::ReferrerWelcome.default_subject(), "Your {{program_name}} referral link");
        assert_eq!(Message::FriendJoined.default_subject(), "{{friend_name}} joined {{program_name}} through your link");
        assert_eq!(Message::RewardApproved.default_subject(), "You earned {{amount}} from {{program_name}}");
        assert_eq!(Message::PayoutSent.default_subject(), "{{program_name}} paid you {{amount}}");
        assert_eq!(Message::FriendWelcome.default_subject(), "Welcome to {{program_name}}: your reward is inside");
        assert_eq!(Message::FriendInvite.default_subject(), "{{name}} invites you to {{program_name}}");
        assert_eq!(Message::SignInCode.default_subject(), "{{code}} is your {{program_name}} sign-in code");
        let bodies: Vec<_> = Message::ALL.iter().map(|m| m.default_body()).collect();
        for (i, a) in bodies.iter().enumerate() {
            assert!(a.starts_with("Hi") || *a == Message::SignInCode.default_body(), "{a}");
            assert!(bodies[i + 1..].iter().all(|b| a != b), "each message has its own body");
        }
        assert!(Message::SignInCode.default_body().starts_with("Your {{program_name}} sign-in code is {{code}}\n\n"));
        assert!(Message::FriendInvite.default_body().ends_with("Sign up through this link so {{name}} gets the credit."));
    }
}
