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

/// A reward in money: a share of each sale, or a fixed amount per signup or sale.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(tag = "type", rename_all = "snake_case", deny_unknown_fields))]
pub enum RewardRule {
    Percent { percent: u8 },
    Fixed { amount: i64, on: Trigger },
}

/// What the referred friend gets: money like the referrer, or a coupon the
/// merchant honours (shown to the friend, not paid out by Edgeref).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(tag = "type", rename_all = "snake_case", deny_unknown_fields))]
pub enum FriendReward {
    Percent { percent: u8 },
    Fixed { amount: i64, on: Trigger },
    Coupon { code: String, description: String },
}

/// Whose share of a signup or sale a reward is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "api", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "api", serde(rename_all = "snake_case"))]
pub enum RewardKind {
    /// The referring customer's.
    Referrer,
    /// The referred customer's (the double-sided part).
    Friend,
}

impl RewardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referrer => "referrer",
            Self::Friend => "friend",
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

/// Stripe's `Idempotency-Key` for crediting a reward: derived from the reward alone, so every
/// retry (and a second delivery of the same reward, should one exist) is the same request to Stripe.
///
/// ```
/// assert_eq!(edgeref_shared::reward::credit_idempotency_key("rwd_abc"), "edgeref-credit-rwd_abc");
/// ```
pub fn credit_idempotency_key(reward_id: &str) -> String {
    format!("edgeref-credit-{reward_id}")
}

impl Default for RewardRules {
    fn default() -> Self {
        Self { referrer: RewardRule::Percent { percent: 10 }, friend: None, hold_days: 0, approval: Approval::Auto, max_per_referrer_per_day: None, fulfilment: Fulfilment::default() }
    }
}

impl RewardRule {
    pub fn validate(&self, field: &'static str) -> Result<(), ValidationError> {
        match *self {
            Self::Percent { percent } if percent > 100 => Err(ValidationError::new(field, "percent must be 0 to 100")),
            Self::Fixed { amount, .. } if !(0..=MAX_AMOUNT).contains(&amount) => {
                Err(ValidationError::new(field, "amount must be 0 to 10^15 minor units"))
            }
            _ => Ok(()),
        }
    }

    /// The reward for one sale of `amount` minor units.
    ///
    /// ```
    /// use edgeref_shared::reward::{RewardRule, Trigger};
    /// assert_eq!(RewardRule::Percent { percent: 10 }.for_sale(1_999), 200); // 199.9 rounds up
    /// assert_eq!(RewardRule::Fixed { amount: 500, on: Trigger::Signup }.for_sale(1_999), 0);
    /// ```
    pub fn for_sale(&self, amount: i64) -> i64 {
        match *self {
            Self::Percent { percent } => share(amount, percent as i64, 100),
            Self::Fixed { amount: fixed, on: Trigger::Sale } => fixed,
            Self::Fixed { on: Trigger::Signup, .. } => 0,
        }
    }

    /// The reward for a referred signup.
    pub fn for_signup(&self) -> i64 {
        match *self {
            Self::Fixed { amount, on: Trigger::Signup } => amount,
            _ => 0,
        }
    }
}

impl FriendReward {
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Percent { percent } => RewardRule::Percent { percent: *percent }.validate("rewards.friend"),
            Self::Fixed { amount, on } => RewardRule::Fixed { amount: *amount, on: *on }.validate("rewards.friend"),
            Self::Coupon { code, description } => {
                if code.trim().is_empty() || code.len() > 64 || description.len() > 500 {
                    Err(ValidationError::new("rewards.friend", "coupon needs a code (≤ 64) and a description (≤ 500)"))
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
        Ok(())
    }
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
    fn the_credit_idempotency_key_depends_on_the_reward_only() {
        assert_eq!(credit_idempotency_key("rwd_1"), credit_idempotency_key("rwd_1"));
        assert_ne!(credit_idempotency_key("rwd_1"), credit_idempotency_key("rwd_2"));
        assert!(credit_idempotency_key("rwd_1").len() <= 255, "Stripe takes keys up to 255 characters");
    }

    #[test]
    fn ledger_kinds_are_stored_as_the_names_statistics_count() {
        let all = [LedgerKind::Reward, LedgerKind::Refund, LedgerKind::Reversal, LedgerKind::Credit, LedgerKind::Payout];
        assert_eq!(all.map(LedgerKind::as_str), ["reward", "refund", "reversal", "credit", "payout"]);
    }

    #[test]
    fn percent_rounding_is_half_away_from_zero() {
        let ten = RewardRule::Percent { percent: 10 };
        assert_eq!(ten.for_sale(1_994), 199);
        assert_eq!(ten.for_sale(1_995), 200);
        assert_eq!(ten.for_sale(5), 1);
        assert_eq!(ten.for_sale(4), 0);
        assert_eq!(RewardRule::Percent { percent: 100 }.for_sale(MAX_AMOUNT), MAX_AMOUNT);
        assert_eq!(RewardRule::Percent { percent: 0 }.for_sale(1_000), 0);
        assert_eq!(share(-15, 1, 10), -2);
    }

    #[test]
    fn fixed_rewards_follow_their_trigger() {
        let on_sale = RewardRule::Fixed { amount: 500, on: Trigger::Sale };
        let on_signup = RewardRule::Fixed { amount: 500, on: Trigger::Signup };
        assert_eq!((on_sale.for_sale(1), on_sale.for_signup()), (500, 0));
        assert_eq!((on_signup.for_sale(1), on_signup.for_signup()), (0, 500));
    }

    #[test]
    fn validation() {
        assert!(RewardRule::Percent { percent: 101 }.validate("r").is_err());
        assert!(RewardRule::Fixed { amount: -1, on: Trigger::Sale }.validate("r").is_err());
        assert!(RewardRule::Fixed { amount: MAX_AMOUNT + 1, on: Trigger::Sale }.validate("r").is_err());
        assert!(RewardRules::default().validate().is_ok());
        let bad_coupon = RewardRules { friend: Some(FriendReward::Coupon { code: " ".into(), description: String::new() }), ..Default::default() };
        assert_eq!(bad_coupon.validate().unwrap_err().field, "rewards.friend");
    }

    #[test]
    fn percents_up_to_100_and_fixed_amounts_from_0_to_max_are_valid() {
        assert!(RewardRule::Percent { percent: 100 }.validate("r").is_ok());
        for amount in [0, MAX_AMOUNT] {
            assert!(RewardRule::Fixed { amount, on: Trigger::Sale }.validate("r").is_ok(), "{amount}");
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
        assert_eq!(rules.referrer, RewardRule::Fixed { amount: 500, on: Trigger::Signup });
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

    proptest! {
        #[test]
        fn reward_never_exceeds_sale(amount in 0..=MAX_AMOUNT, percent in 0u8..=100) {
            let r = RewardRule::Percent { percent }.for_sale(amount);
            prop_assert!(r >= 0 && r <= amount);
        }

        #[test]
        fn partial_refunds_sum_to_the_reward(
            amount in 1i64..=10_000_000,
            percent in 0u8..=100,
            cuts in proptest::collection::vec(0.0f64..1.0, 0..6),
        ) {
            let reward = RewardRule::Percent { percent }.for_sale(amount);
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
    }
}
