//! Reward rules and the integer maths of rewards and their reversal.
//!
//! All amounts are `i64` minor units (cents). Percentages round half away from
//! zero to the nearest minor unit, computed in `i128` so no sale can overflow.

use crate::ValidationError;

/// Largest amount accepted anywhere (10^15 minor units), far below `i64::MAX`
/// so sums of many amounts cannot overflow either.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// When a fixed reward is earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(rename_all = "snake_case"))]
pub enum Trigger {
    Signup,
    Sale,
}

/// A reward in money: a share of each sale, or a fixed amount per signup or sale. A referrer's
/// rule may carry a `limit` on which of a friend's sales earn (`FriendReward` has none).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(tag = "type", rename_all = "snake_case", deny_unknown_fields))]
pub enum RewardRule {
    Percent {
        percent: u8,
        #[cfg_attr(feature = "api", serde(default, skip_serializing_if = "Option::is_none"))]
        limit: Option<Limit>,
    },
    Fixed {
        amount: i64,
        on: Trigger,
        #[cfg_attr(feature = "api", serde(default, skip_serializing_if = "Option::is_none"))]
        limit: Option<Limit>,
    },
}

/// Which of a referred friend's sales earn the referrer's reward: `{"sales": N}`, only their
/// first N; `{"months": N}`, only those within N calendar months of their first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(rename_all = "snake_case", deny_unknown_fields))]
pub enum Limit {
    Sales(u32),
    Months(u32),
}

/// Most sales a limit may count, and most months.
pub const MAX_LIMIT_SALES: u32 = 1000;
pub const MAX_LIMIT_MONTHS: u32 = 120;

impl Limit {
    /// Whether a friend's sale earns: `earlier_sales` of theirs came before it, the first of them
    /// at `first_sale_at` (`None`: this is their first), and this one at `now`.
    ///
    /// ```
    /// use edgeref_shared::reward::Limit;
    /// assert!(Limit::Sales(2).allows(1, Some(0), 0));
    /// assert!(!Limit::Sales(2).allows(2, Some(0), 0));
    /// assert!(Limit::Months(1).allows(0, None, 5));
    /// ```
    pub fn allows(self, earlier_sales: u32, first_sale_at: Option<i64>, now: i64) -> bool {
        match self {
            Self::Sales(n) => earlier_sales < n,
            Self::Months(n) => first_sale_at.is_none_or(|first| now < crate::time::add_months(first, n)),
        }
    }

    fn validate(self) -> Result<(), ValidationError> {
        match self {
            Self::Sales(n) if !(1..=MAX_LIMIT_SALES).contains(&n) => Err(ValidationError::new("rewards.referrer.limit", "sales must be 1 to 1000")),
            Self::Months(n) if !(1..=MAX_LIMIT_MONTHS).contains(&n) => Err(ValidationError::new("rewards.referrer.limit", "months must be 1 to 120")),
            _ => Ok(()),
        }
    }
}

/// A bonus for a referrer who reaches `friends` paying friends (referred customers with a sale):
/// a reward of its own (`kind: "milestone"`), paid once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(deny_unknown_fields))]
pub struct Milestone {
    pub friends: u32,
    pub amount: i64,
}

/// Most milestones a program may set, and the most friends one may ask for.
pub const MAX_MILESTONES: usize = 20;
pub const MAX_MILESTONE_FRIENDS: u32 = 1_000_000;

/// The milestones due to a referrer who has `paying_friends` now and was paid those in `paid`
/// (by their `friends`): every one reached and not paid yet, each once. One reached before the
/// program set it is paid with the referrer's next friend's sale.
///
/// ```
/// use edgeref_shared::reward::{milestones_due, Milestone};
/// let ms = [Milestone { friends: 3, amount: 1000 }, Milestone { friends: 10, amount: 5000 }];
/// assert_eq!(milestones_due(&ms, 3, &[]), [ms[0]]);
/// assert_eq!(milestones_due(&ms, 4, &[3]), []);
/// ```
pub fn milestones_due(milestones: &[Milestone], paying_friends: u32, paid: &[u32]) -> Vec<Milestone> {
    milestones.iter().filter(|m| m.friends <= paying_friends && !paid.contains(&m.friends)).copied().collect()
}

/// What the referred friend gets: money like the referrer, a coupon the merchant honours
/// (shown to the friend, not paid out by Edgeref), or a one-time Stripe promotion code of
/// their own for a Stripe coupon (created through the outbox, docs/fulfilment.md).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(tag = "type", rename_all = "snake_case", deny_unknown_fields))]
pub enum FriendReward {
    Percent { percent: u8 },
    Fixed { amount: i64, on: Trigger },
    Coupon { code: String, description: String },
    StripePromotionCode {
        coupon: String,
        #[cfg_attr(feature = "api", serde(default, skip_serializing_if = "Option::is_none"))]
        expires_days: Option<u16>,
    },
}

/// Whose share of a signup or sale a reward is, or a milestone's bonus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(rename_all = "snake_case"))]
pub enum RewardKind {
    /// The referring customer's.
    Referrer,
    /// The referred customer's (the double-sided part).
    Friend,
    /// The referring customer's bonus for reaching a number of paying friends (`rewards.milestones`).
    Milestone,
}

impl RewardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referrer => "referrer",
            Self::Friend => "friend",
            Self::Milestone => "milestone",
        }
    }
}

/// Why a customer's balance moved: each ledger row says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerKind {
    /// Earned by a referred signup or sale.
    Reward,
    /// Taken back because the sale was (partly) refunded.
    Refund,
    /// Taken back because the sale was deleted.
    Reversal,
    /// Added or removed by hand (`POST /v1/customers/{key}/credit`).
    Credit,
    /// Paid out to the customer (`POST /v1/payouts`): a debit.
    Payout,
}

impl LedgerKind {
    /// The `ledger.kind` column's value; program statistics count the first three as rewards.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reward => "reward",
            Self::Refund => "refund",
            Self::Reversal => "reversal",
            Self::Credit => "credit",
            Self::Payout => "payout",
        }
    }
}

/// Who approves rewards once their hold has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(rename_all = "snake_case"))]
pub enum Approval {
    /// The scheduled run approves unflagged rewards when their hold ends.
    #[default]
    Auto,
    /// Every reward waits for the owner.
    Manual,
}

/// Longest hold a program may set: a year covers every refund window.
pub const MAX_HOLD_DAYS: u16 = 365;

/// A program's rewards. Default: referrer earns 10 % of each sale, friend
/// nothing, no hold, approved automatically, no daily limit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(deny_unknown_fields))]
pub struct RewardRules {
    pub referrer: RewardRule,
    pub friend: Option<FriendReward>,
    /// Days a reward stays pending before it can be approved (refund window).
    #[cfg_attr(feature = "api", serde(default))]
    pub hold_days: u16,
    #[cfg_attr(feature = "api", serde(default))]
    pub approval: Approval,
    /// Rewards one referrer may earn per UTC day before the rest are flagged `velocity`.
    #[cfg_attr(feature = "api", serde(default))]
    pub max_per_referrer_per_day: Option<u32>,
    /// How approved rewards are paid (docs/fulfilment.md).
    #[cfg_attr(feature = "api", serde(default))]
    pub fulfilment: Fulfilment,
    /// Bonuses for reaching numbers of paying friends (docs/rewards.md).
    #[cfg_attr(feature = "api", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub milestones: Vec<Milestone>,
}

/// How approved rewards reach the people who earned them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(deny_unknown_fields))]
pub struct Fulfilment {
    #[cfg_attr(feature = "api", serde(default))]
    pub referrer: ReferrerFulfilment,
}

/// How a referrer's approved reward is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(rename_all = "snake_case"))]
pub enum ReferrerFulfilment {
    /// The owner pays it and records a payout ("Mark as paid").
    #[default]
    Manual,
    /// Credited to the referrer's Stripe customer balance (their next invoices), through the
    /// outbox, when the customer has a `stripe_customer_id` and the Stripe integration a `secret_key`.
    StripeCredit,
}

impl ReferrerFulfilment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::StripeCredit => "stripe_credit",
        }
    }
}

/// How a payout was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(rename_all = "snake_case"))]
pub enum PayoutMethod {
    /// Recorded by the owner after paying (`POST /v1/payouts`).
    #[default]
    Manual,
    /// A Stripe customer-balance credit made by Edgeref.
    StripeCredit,
}

impl PayoutMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::StripeCredit => "stripe_credit",
        }
    }
}

/// Stripe's `Idempotency-Key` for crediting a reward: derived from the reward and how often the
/// owner retried a failed credit (`retries`), so every automatic retry (and a second delivery of
/// the same reward, should one exist) is the same request to Stripe, while an owner's retry after
/// a refusal is a new one (Stripe replays the first answer to a key, refusals included).
///
/// ```
/// use edgeref_shared::reward::credit_idempotency_key;
/// assert_eq!(credit_idempotency_key("rwd_abc", 0), "edgeref-credit-rwd_abc");
/// assert_eq!(credit_idempotency_key("rwd_abc", 2), "edgeref-credit-rwd_abc-retry2");
/// ```
pub fn credit_idempotency_key(reward_id: &str, retries: i64) -> String {
    match retries {
        0 => format!("edgeref-credit-{reward_id}"),
        n => format!("edgeref-credit-{reward_id}-retry{n}"),
    }
}

impl Default for RewardRules {
    fn default() -> Self {
        Self { referrer: RewardRule::percent(10), friend: None, hold_days: 0, approval: Approval::Auto, max_per_referrer_per_day: None, fulfilment: Fulfilment::default(), milestones: Vec::new() }
    }
}

impl RewardRule {
    /// A share of each sale (no limit).
    pub const fn percent(percent: u8) -> Self {
        Self::Percent { percent, limit: None }
    }

    /// A fixed amount per signup or sale (no limit).
    pub const fn fixed(amount: i64, on: Trigger) -> Self {
        Self::Fixed { amount, on, limit: None }
    }

    pub fn limit(&self) -> Option<Limit> {
        match *self {
            Self::Percent { limit, .. } | Self::Fixed { limit, .. } => limit,
        }
    }

    pub fn validate(&self, field: &'static str) -> Result<(), ValidationError> {
        match *self {
            Self::Percent { percent, .. } if percent > 100 => Err(ValidationError::new(field, "percent must be 0 to 100")),
            Self::Fixed { amount, .. } if !(0..=MAX_AMOUNT).contains(&amount) => {
                Err(ValidationError::new(field, "amount must be 0 to 10^15 minor units"))
            }
            Self::Fixed { on: Trigger::Signup, limit: Some(_), .. } => Err(ValidationError::new("rewards.referrer.limit", "a limit counts sales: it needs a percent or a fixed reward on sale")),
            _ => self.limit().map_or(Ok(()), Limit::validate),
        }
    }

    /// The reward for a referred friend's sale of `amount`, under the rule's limit (see `Limit::allows`).
    ///
    /// ```
    /// use edgeref_shared::reward::{Limit, RewardRule};
    /// let first_two = RewardRule::Percent { percent: 10, limit: Some(Limit::Sales(2)) };
    /// assert_eq!(first_two.for_friends_sale(1_000, 1, Some(0), 0), 100);
    /// assert_eq!(first_two.for_friends_sale(1_000, 2, Some(0), 0), 0);
    /// ```
    pub fn for_friends_sale(&self, amount: i64, earlier_sales: u32, first_sale_at: Option<i64>, now: i64) -> i64 {
        if self.limit().is_none_or(|l| l.allows(earlier_sales, first_sale_at, now)) {
            self.for_sale(amount)
        } else {
            0
        }
    }

    /// The reward for one sale of `amount` minor units.
    ///
    /// ```
    /// use edgeref_shared::reward::{RewardRule, Trigger};
    /// assert_eq!(RewardRule::percent(10).for_sale(1_999), 200); // 199.9 rounds up
    /// assert_eq!(RewardRule::fixed(500, Trigger::Signup).for_sale(1_999), 0);
    /// ```
    pub fn for_sale(&self, amount: i64) -> i64 {
        match *self {
            Self::Percent { percent, .. } => share(amount, percent as i64, 100),
            Self::Fixed { amount: fixed, on: Trigger::Sale, .. } => fixed,
            Self::Fixed { on: Trigger::Signup, .. } => 0,
        }
    }

    /// The reward for a referred signup.
    pub fn for_signup(&self) -> i64 {
        match *self {
            Self::Fixed { amount, on: Trigger::Signup, .. } => amount,
            _ => 0,
        }
    }
}

impl FriendReward {
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Percent { percent } => RewardRule::percent(*percent).validate("rewards.friend"),
            Self::Fixed { amount, on } => RewardRule::fixed(*amount, *on).validate("rewards.friend"),
            Self::Coupon { code, description } => {
                if code.trim().is_empty() || code.len() > 64 || description.len() > 500 {
                    Err(ValidationError::new("rewards.friend", "coupon needs a code (≤ 64) and a description (≤ 500)"))
                } else {
                    Ok(())
                }
            }
            Self::StripePromotionCode { coupon, expires_days } => {
                if coupon.is_empty() || coupon.len() > 200 || !coupon.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                    Err(ValidationError::new("rewards.friend", "coupon must be a Stripe coupon id (letters, digits, _ and -; ≤ 200)"))
                } else if expires_days.is_some_and(|d| !(1..=365).contains(&d)) {
                    Err(ValidationError::new("rewards.friend", "expires_days must be 1 to 365"))
                } else {
                    Ok(())
                }
            }
        }
    }
}

impl RewardRules {
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.referrer.validate("rewards.referrer")?;
        self.friend.as_ref().map_or(Ok(()), FriendReward::validate)?;
        if self.hold_days > MAX_HOLD_DAYS {
            return Err(ValidationError::new("rewards.hold_days", "must be 0 to 365 days"));
        }
        if self.max_per_referrer_per_day == Some(0) {
            return Err(ValidationError::new("rewards.max_per_referrer_per_day", "must be at least 1, or null for no limit"));
        }
        validate_milestones(&self.milestones)
    }
}

/// Up to 20 milestones, each for 1 to 10^6 friends (no two for the same number) and 1 to 10^15 minor units.
fn validate_milestones(milestones: &[Milestone]) -> Result<(), ValidationError> {
    let field = "rewards.milestones";
    if milestones.len() > MAX_MILESTONES {
        return Err(ValidationError::new(field, "at most 20 milestones"));
    }
    for (i, m) in milestones.iter().enumerate() {
        if !(1..=MAX_MILESTONE_FRIENDS).contains(&m.friends) {
            return Err(ValidationError::new(field, "friends must be 1 to 1000000"));
        }
        if !(1..=MAX_AMOUNT).contains(&m.amount) {
            return Err(ValidationError::new(field, "amount must be 1 to 10^15 minor units"));
        }
        if milestones[..i].iter().any(|o| o.friends == m.friends) {
            return Err(ValidationError::new(field, "two milestones for the same number of friends"));
        }
    }
    Ok(())
}

/// How much of `reward` a refund reverses, given how much of the sale had been
/// refunded before and after it. Working on cumulative shares means any series
/// of partial refunds adding up to the sale reverses exactly the whole reward.
///
/// ```
/// use edgeref_shared::reward::reversal;
/// // A 1000 sale earned 100; refunding it in three parts reverses 100 in total.
/// let parts = [reversal(100, 1000, 0, 333), reversal(100, 1000, 333, 666), reversal(100, 1000, 666, 1000)];
/// assert_eq!(parts.iter().sum::<i64>(), 100);
/// ```
pub fn reversal(reward: i64, sale_amount: i64, refunded_before: i64, refunded_after: i64) -> i64 {
    if sale_amount <= 0 {
        return 0;
    }
    let clamp = |r: i64| r.clamp(0, sale_amount);
    share(reward, clamp(refunded_after), sale_amount) - share(reward, clamp(refunded_before), sale_amount)
}

/// `value * num / den`, rounded half away from zero, in `i128`.
fn share(value: i64, num: i64, den: i64) -> i64 {
    let p = value as i128 * num as i128;
    let d = den as i128;
    let q = (p.abs() * 2 + d) / (2 * d);
    (q * p.signum()) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::DAY_MS;
    use proptest::prelude::*;

    #[test]
    fn holds_over_a_year_and_a_zero_daily_limit_are_refused() {
        let ok = RewardRules { hold_days: 365, max_per_referrer_per_day: Some(1), ..RewardRules::default() };
        assert!(ok.validate().is_ok());
        assert_eq!(RewardRules { hold_days: 366, ..RewardRules::default() }.validate().unwrap_err().field, "rewards.hold_days");
        assert_eq!(RewardRules { max_per_referrer_per_day: Some(0), ..RewardRules::default() }.validate().unwrap_err().field, "rewards.max_per_referrer_per_day");
    }

    #[test]
    fn rules_stored_before_holds_existed_read_as_no_hold_and_auto_approval() {
        let old: RewardRules = serde_json::from_str(r#"{"referrer":{"type":"percent","percent":10},"friend":null}"#).unwrap();
        assert_eq!(old, RewardRules::default());
        let json = serde_json::to_value(RewardRules::default()).unwrap();
        assert_eq!(json, serde_json::json!({"referrer":{"type":"percent","percent":10},"friend":null,"hold_days":0,"approval":"auto","max_per_referrer_per_day":null,"fulfilment":{"referrer":"manual"}}));
    }

    #[test]
    fn fulfilment_is_manual_unless_stripe_credit_is_named() {
        let parse = |json: &str| serde_json::from_str::<RewardRules>(json);
        let base = r#""referrer":{"type":"percent","percent":10},"friend":null"#;
        assert_eq!(parse(&format!("{{{base}}}")).unwrap().fulfilment.referrer, ReferrerFulfilment::Manual);
        assert_eq!(parse(&format!(r#"{{{base},"fulfilment":{{}}}}"#)).unwrap().fulfilment.referrer, ReferrerFulfilment::Manual);
        let credit = parse(&format!(r#"{{{base},"fulfilment":{{"referrer":"stripe_credit"}}}}"#)).unwrap();
        assert_eq!(credit.fulfilment.referrer, ReferrerFulfilment::StripeCredit);
        assert!(credit.validate().is_ok());
        assert!(parse(&format!(r#"{{{base},"fulfilment":{{"referrer":"paypal"}}}}"#)).is_err());
        assert!(parse(&format!(r#"{{{base},"fulfilment":{{"friend":"stripe_credit"}}}}"#)).is_err(), "only the referrer's is chosen");
        assert_eq!(ReferrerFulfilment::StripeCredit.as_str(), serde_json::to_value(ReferrerFulfilment::StripeCredit).unwrap());
        assert_eq!(PayoutMethod::StripeCredit.as_str(), serde_json::to_value(PayoutMethod::StripeCredit).unwrap());
    }

    #[test]
    fn the_credit_idempotency_key_depends_on_the_reward_and_the_owners_retries_only() {
        assert_eq!(credit_idempotency_key("rwd_1", 0), credit_idempotency_key("rwd_1", 0));
        assert_ne!(credit_idempotency_key("rwd_1", 0), credit_idempotency_key("rwd_2", 0));
        assert_ne!(credit_idempotency_key("rwd_1", 0), credit_idempotency_key("rwd_1", 1));
        assert_ne!(credit_idempotency_key("rwd_1", 1), credit_idempotency_key("rwd_1", 2));
        assert!(credit_idempotency_key(&"r".repeat(200), i64::MAX).len() <= 255, "Stripe takes keys up to 255 characters");
    }

    #[test]
    fn ledger_kinds_are_stored_as_the_names_statistics_count() {
        let all = [LedgerKind::Reward, LedgerKind::Refund, LedgerKind::Reversal, LedgerKind::Credit, LedgerKind::Payout];
        assert_eq!(all.map(LedgerKind::as_str), ["reward", "refund", "reversal", "credit", "payout"]);
    }

    #[test]
    fn percent_rounding_is_half_away_from_zero() {
        let ten = RewardRule::percent(10);
        assert_eq!(ten.for_sale(1_994), 199);
        assert_eq!(ten.for_sale(1_995), 200);
        assert_eq!(ten.for_sale(5), 1);
        assert_eq!(ten.for_sale(4), 0);
        assert_eq!(RewardRule::percent(100).for_sale(MAX_AMOUNT), MAX_AMOUNT);
        assert_eq!(RewardRule::percent(0).for_sale(1_000), 0);
        assert_eq!(share(-15, 1, 10), -2);
    }

    #[test]
    fn fixed_rewards_follow_their_trigger() {
        let on_sale = RewardRule::fixed(500, Trigger::Sale);
        let on_signup = RewardRule::fixed(500, Trigger::Signup);
        assert_eq!((on_sale.for_sale(1), on_sale.for_signup()), (500, 0));
        assert_eq!((on_signup.for_sale(1), on_signup.for_signup()), (0, 500));
    }

    #[test]
    fn validation() {
        assert!(RewardRule::percent(101).validate("r").is_err());
        assert!(RewardRule::fixed(-1, Trigger::Sale).validate("r").is_err());
        assert!(RewardRule::fixed(MAX_AMOUNT + 1, Trigger::Sale).validate("r").is_err());
        assert!(RewardRules::default().validate().is_ok());
        let bad_coupon = RewardRules { friend: Some(FriendReward::Coupon { code: " ".into(), description: String::new() }), ..Default::default() };
        assert_eq!(bad_coupon.validate().unwrap_err().field, "rewards.friend");
    }

    #[test]
    fn percents_up_to_100_and_fixed_amounts_from_0_to_max_are_valid() {
        assert!(RewardRule::percent(100).validate("r").is_ok());
        for amount in [0, MAX_AMOUNT] {
            assert!(RewardRule::fixed(amount, Trigger::Sale).validate("r").is_ok(), "{amount}");
        }
    }

    #[test]
    fn coupons_need_a_code_of_up_to_64_and_a_description_of_up_to_500() {
        let coupon = |code: usize, description: usize| FriendReward::Coupon { code: "C".repeat(code), description: "d".repeat(description) };
        assert!(coupon(1, 0).validate().is_ok());
        assert!(coupon(64, 500).validate().is_ok());
        assert_eq!(coupon(65, 0).validate().unwrap_err().field, "rewards.friend");
        assert_eq!(coupon(1, 501).validate().unwrap_err().field, "rewards.friend");
    }

    #[test]
    #[cfg(feature = "api")]
    fn json_shapes() {
        let rules: RewardRules = serde_json::from_str(
            r#"{"referrer":{"type":"fixed","amount":500,"on":"signup"},"friend":{"type":"coupon","code":"FRIEND10","description":"10% off"}}"#,
        )
        .unwrap();
        assert_eq!(rules.referrer, RewardRule::fixed(500, Trigger::Signup));
        assert_eq!(
            serde_json::to_value(RewardRules::default()).unwrap(),
            serde_json::json!({"referrer": {"type": "percent", "percent": 10}, "friend": null, "hold_days": 0, "approval": "auto", "max_per_referrer_per_day": null, "fulfilment": {"referrer": "manual"}})
        );
        assert!(serde_json::from_str::<RewardRule>(r#"{"type":"percent","percent":10,"x":1}"#).is_err());
    }

    #[test]
    fn full_refund_reverses_everything() {
        assert_eq!(reversal(200, 1_999, 0, 1_999), 200);
        assert_eq!(reversal(200, 1_999, 0, 5_000), 200, "over-refunds are capped");
        assert_eq!(reversal(200, 0, 0, 10), 0);
    }

    #[test]
    fn a_promotion_code_reward_names_a_stripe_coupon_and_lasts_1_to_365_days() {
        let promo = |coupon: &str, expires_days| FriendReward::StripePromotionCode { coupon: coupon.into(), expires_days }.validate();
        assert!(promo("SPRING-25_off", None).is_ok());
        assert!(promo(&"c".repeat(200), Some(1)).is_ok());
        assert!(promo("c", Some(365)).is_ok());
        for (coupon, days) in [("", None), ("has space", None), ("../v1", None), (&*"c".repeat(201), None), ("c", Some(0)), ("c", Some(366))] {
            assert_eq!(promo(coupon, days).unwrap_err().field, "rewards.friend", "{coupon:?} {days:?}");
        }
    }

    #[test]
    #[cfg(feature = "api")]
    fn a_promotion_code_reward_reads_and_writes_as_the_api_shows_it() {
        let r: FriendReward = serde_json::from_str(r#"{"type":"stripe_promotion_code","coupon":"SPRING25","expires_days":30}"#).unwrap();
        assert_eq!(r, FriendReward::StripePromotionCode { coupon: "SPRING25".into(), expires_days: Some(30) });
        let plain = FriendReward::StripePromotionCode { coupon: "SPRING25".into(), expires_days: None };
        assert_eq!(serde_json::to_value(&plain).unwrap(), serde_json::json!({"type": "stripe_promotion_code", "coupon": "SPRING25"}));
        assert!(serde_json::from_str::<FriendReward>(r#"{"type":"stripe_promotion_code","coupon":"A","code":"X"}"#).is_err());
    }

    #[test]
    fn a_sales_limit_pays_the_first_n_sales_only() {
        let rule = RewardRule::Fixed { amount: 500, on: Trigger::Sale, limit: Some(Limit::Sales(3)) };
        let earned: Vec<i64> = (0..5).map(|earlier| rule.for_friends_sale(10_000, earlier, Some(0), 0)).collect();
        assert_eq!(earned, [500, 500, 500, 0, 0]);
        assert_eq!(RewardRule::percent(10).for_friends_sale(1_000, 999, Some(0), i64::MAX / 2), 100, "no limit: every sale");
    }

    #[test]
    fn a_months_limit_pays_sales_before_the_window_ends_counted_from_the_first() {
        let first = crate::time::parse_rfc3339("2026-01-31T12:00:00Z").unwrap();
        let end = crate::time::parse_rfc3339("2026-03-31T12:00:00Z").unwrap();
        let rule = RewardRule::Percent { percent: 10, limit: Some(Limit::Months(2)) };
        assert_eq!(rule.for_friends_sale(1_000, 0, None, end + DAY_MS * 400), 100, "the first sale opens the window");
        assert_eq!(rule.for_friends_sale(1_000, 4, Some(first), end - 1), 100);
        assert_eq!(rule.for_friends_sale(1_000, 4, Some(first), end), 0, "the window is half-open");
        assert!(Limit::Months(1).allows(0, Some(first), first));
    }

    #[test]
    fn limits_are_1_to_1000_sales_or_1_to_120_months_and_only_on_sale_rewards() {
        let with = |limit| RewardRules { referrer: RewardRule::Percent { percent: 10, limit: Some(limit) }, ..RewardRules::default() };
        for ok in [Limit::Sales(1), Limit::Sales(1000), Limit::Months(1), Limit::Months(120)] {
            assert!(with(ok).validate().is_ok(), "{ok:?}");
        }
        for bad in [Limit::Sales(0), Limit::Sales(1001), Limit::Months(0), Limit::Months(121)] {
            assert_eq!(with(bad).validate().unwrap_err().field, "rewards.referrer.limit", "{bad:?}");
        }
        let on_sale = RewardRules { referrer: RewardRule::Fixed { amount: 5, on: Trigger::Sale, limit: Some(Limit::Sales(2)) }, ..RewardRules::default() };
        assert!(on_sale.validate().is_ok());
        let on_signup = RewardRules { referrer: RewardRule::Fixed { amount: 5, on: Trigger::Signup, limit: Some(Limit::Sales(2)) }, ..RewardRules::default() };
        assert_eq!(on_signup.validate().unwrap_err().field, "rewards.referrer.limit");
        let bad_amount = RewardRules { referrer: RewardRule::Fixed { amount: -5, on: Trigger::Sale, limit: Some(Limit::Sales(0)) }, ..RewardRules::default() };
        assert_eq!(bad_amount.validate().unwrap_err().field, "rewards.referrer", "the amount is checked first");
        assert_eq!(RewardRule::fixed(5, Trigger::Sale).limit(), None);
    }

    #[test]
    #[cfg(feature = "api")]
    fn limits_and_milestones_read_and_write_as_the_api_shows_them() {
        let rules: RewardRules = serde_json::from_str(
            r#"{"referrer":{"type":"percent","percent":10,"limit":{"sales":3}},"friend":null,"milestones":[{"friends":5,"amount":5000}]}"#,
        )
        .unwrap();
        assert_eq!(rules.referrer.limit(), Some(Limit::Sales(3)));
        assert_eq!(rules.milestones, [Milestone { friends: 5, amount: 5000 }]);
        let json = serde_json::to_value(&rules).unwrap();
        assert_eq!(json["referrer"], serde_json::json!({"type": "percent", "percent": 10, "limit": {"sales": 3}}));
        assert_eq!(json["milestones"], serde_json::json!([{"friends": 5, "amount": 5000}]));
        let months: RewardRule = serde_json::from_str(r#"{"type":"fixed","amount":100,"on":"sale","limit":{"months":6}}"#).unwrap();
        assert_eq!(months.limit(), Some(Limit::Months(6)));
        for bad in [r#"{"type":"percent","percent":10,"limit":{"days":3}}"#, r#"{"type":"percent","percent":10,"limit":{"sales":3,"months":2}}"#, r#"{"type":"percent","percent":10,"limit":{"sales":-1}}"#] {
            assert!(serde_json::from_str::<RewardRule>(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Milestone>(r#"{"friends":5,"amount":1,"x":1}"#).is_err());
        assert_eq!(RewardKind::Milestone.as_str(), serde_json::to_value(RewardKind::Milestone).unwrap());
    }

    #[test]
    fn milestones_are_up_to_20_for_distinct_friend_counts_and_positive_amounts() {
        let with = |milestones: Vec<Milestone>| RewardRules { milestones, ..RewardRules::default() }.validate();
        let m = |friends, amount| Milestone { friends, amount };
        assert!(with(vec![m(1, 1), m(MAX_MILESTONE_FRIENDS, MAX_AMOUNT)]).is_ok());
        assert!(with((1..=20).map(|f| m(f, 100)).collect()).is_ok());
        for bad in [vec![m(0, 100)], vec![m(MAX_MILESTONE_FRIENDS + 1, 100)], vec![m(3, 0)], vec![m(3, MAX_AMOUNT + 1)], vec![m(3, 100), m(5, 1), m(3, 200)], (1..=21).map(|f| m(f, 100)).collect()] {
            assert_eq!(with(bad.clone()).unwrap_err().field, "rewards.milestones", "{bad:?}");
        }
    }

    #[test]
    fn a_milestone_is_due_once_reached_and_not_paid() {
        let ms = [Milestone { friends: 1, amount: 100 }, Milestone { friends: 3, amount: 300 }, Milestone { friends: 5, amount: 500 }];
        assert_eq!(milestones_due(&ms, 0, &[]), []);
        assert_eq!(milestones_due(&ms, 1, &[]), [ms[0]]);
        assert_eq!(milestones_due(&ms, 3, &[1]), [ms[1]]);
        assert_eq!(milestones_due(&ms, 6, &[]), ms, "reached before they were set: all due at once");
        assert_eq!(milestones_due(&ms, 6, &[1, 3, 5]), []);
    }

    proptest! {
        #[test]
        fn reward_never_exceeds_sale(amount in 0..=MAX_AMOUNT, percent in 0u8..=100) {
            let r = RewardRule::percent(percent).for_sale(amount);
            prop_assert!(r >= 0 && r <= amount);
        }

        #[test]
        fn partial_refunds_sum_to_the_reward(
            amount in 1i64..=10_000_000,
            percent in 0u8..=100,
            cuts in proptest::collection::vec(0.0f64..1.0, 0..6),
        ) {
            let reward = RewardRule::percent(percent).for_sale(amount);
            let mut points: Vec<i64> = cuts.iter().map(|c| (*c * amount as f64) as i64).collect();
            points.sort();
            points.push(amount);
            let mut before = 0;
            let mut total = 0;
            for after in points {
                let part = reversal(reward, amount, before, after);
                prop_assert!(part >= 0);
                total += part;
                before = after;
            }
            prop_assert_eq!(total, reward);
        }

        /// The Worker's protocol for a sale (transactions::service::record): read the referrer's
        /// paying friends and paid milestones, compute what is due, and commit only if the count
        /// of paying friends is still what it expected (a guard) and no milestone it inserts exists
        /// (the unique index); otherwise read again and retry. Whatever the sales and however
        /// their reads and commits interleave, each milestone reached is paid exactly once.
        #[test]
        fn a_milestone_is_paid_once_whatever_the_order_and_concurrency_of_sales(
            friends in proptest::collection::vec(0u32..6, 1..14),
            schedule in proptest::collection::vec(any::<u8>(), 0..64),
            thresholds in proptest::collection::btree_set(1u32..7, 0..4),
        ) {
            let milestones: Vec<Milestone> = thresholds.iter().map(|&f| Milestone { friends: f, amount: f as i64 * 100 }).collect();
            let mut sales: Vec<u32> = Vec::new(); // committed sales, by friend
            let mut paid: Vec<u32> = Vec::new(); // committed milestone rewards, by threshold
            let distinct = |sales: &[u32]| sales.iter().collect::<std::collections::BTreeSet<_>>().len() as u32;
            // A sale in flight: its friend, and what it read (expected paying friends after it, milestones due).
            let read = |friend: u32, sales: &[u32], paid: &[u32]| {
                let mut after = sales.to_vec();
                after.push(friend);
                let expected = distinct(&after);
                (friend, expected, milestones_due(&milestones, expected, paid))
            };
            let mut waiting: Vec<u32> = friends.clone();
            let mut in_flight = Vec::new();
            let mut steps = schedule.into_iter().chain(std::iter::repeat(0));
            let mut guard = 0;
            while !waiting.is_empty() || !in_flight.is_empty() {
                guard += 1;
                prop_assert!(guard < 10_000, "no progress");
                let pick = steps.next().unwrap() as usize;
                if !waiting.is_empty() && (in_flight.is_empty() || pick % 2 == 0) {
                    let friend = waiting.remove(0);
                    in_flight.push(read(friend, &sales, &paid));
                    continue;
                }
                let (friend, expected, due) = in_flight.remove(pick % in_flight.len());
                let mut after = sales.clone();
                after.push(friend);
                let clash = due.iter().any(|m| paid.contains(&m.friends));
                if distinct(&after) != expected || clash {
                    in_flight.push(read(friend, &sales, &paid)); // rolled back: read again
                } else {
                    sales = after;
                    paid.extend(due.iter().map(|m| m.friends));
                }
            }
            let reached: Vec<u32> = thresholds.iter().copied().filter(|&t| t <= distinct(&sales)).collect();
            paid.sort();
            prop_assert_eq!(paid, reached);
        }

        #[test]
        fn a_limited_rule_never_pays_more_than_the_unlimited_one(amount in 0i64..=1_000_000, percent in 0u8..=100, n in 1u32..=10, earlier in 0u32..20, months in 1u32..=12, first in 0i64..1_000_000_000_000, later in 0i64..1_000_000_000_000) {
            let plain = RewardRule::percent(percent).for_sale(amount);
            let by_sales = RewardRule::Percent { percent, limit: Some(Limit::Sales(n)) }.for_friends_sale(amount, earlier, Some(first), first + later);
            prop_assert_eq!(by_sales, if earlier < n { plain } else { 0 });
            let by_months = RewardRule::Percent { percent, limit: Some(Limit::Months(months)) }.for_friends_sale(amount, earlier, Some(first), first + later);
            prop_assert!(by_months == plain || by_months == 0);
            prop_assert_eq!(by_months == plain || plain == 0, later < months as i64 * 28 * DAY_MS || by_months == plain || plain == 0);
        }
    }
}
