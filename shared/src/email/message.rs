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
