//! Webhook events and their delivery schedule.

/// An event Edgeref raises, which a webhook can subscribe to (docs/webhooks.md). Written as
/// its name, `resource.verb`, on the wire and in D1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EventKind {
    #[serde(rename = "customer.created")]
    CustomerCreated,
    #[serde(rename = "customer.updated")]
    CustomerUpdated,
    #[serde(rename = "customer.deleted")]
    CustomerDeleted,
    #[serde(rename = "customer.credited")]
    CustomerCredited,
    #[serde(rename = "transaction.created")]
    TransactionCreated,
    #[serde(rename = "transaction.deleted")]
    TransactionDeleted,
    #[serde(rename = "reward.created")]
    RewardCreated,
    #[serde(rename = "reward.approved")]
    RewardApproved,
    #[serde(rename = "reward.rejected")]
    RewardRejected,
    #[serde(rename = "payout.created")]
    PayoutCreated,
}

impl EventKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [EventKind; 10] = [
        EventKind::CustomerCreated,
        EventKind::CustomerUpdated,
        EventKind::CustomerDeleted,
        EventKind::CustomerCredited,
        EventKind::TransactionCreated,
        EventKind::TransactionDeleted,
        EventKind::RewardCreated,
        EventKind::RewardApproved,
        EventKind::RewardRejected,
        EventKind::PayoutCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CustomerCreated => "customer.created",
            EventKind::CustomerUpdated => "customer.updated",
            EventKind::CustomerDeleted => "customer.deleted",
            EventKind::CustomerCredited => "customer.credited",
            EventKind::TransactionCreated => "transaction.created",
            EventKind::TransactionDeleted => "transaction.deleted",
            EventKind::RewardCreated => "reward.created",
            EventKind::RewardApproved => "reward.approved",
            EventKind::RewardRejected => "reward.rejected",
            EventKind::PayoutCreated => "payout.created",
        }
    }

    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Where one delivery of an event (to a webhook or an integration) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered yet: its first attempt or a retry is due.
    Pending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Out of attempts, or refused for good; "resend" starts it again.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

/// The event sent by "send test event"; it goes only to the endpoint asked for.
pub const TEST_EVENT: &str = "webhook.test";

pub fn is_event_type(s: &str) -> bool {
    EventKind::parse(s).is_some()
}

/// Total attempts per delivery, the first included.
pub const MAX_ATTEMPTS: u32 = 8;

/// Waits before attempts 2..=8, as Standard Webhooks implementations use:
/// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — about 27.6 hours in all.
const BACKOFF_MS: [u64; 7] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/// How long to wait after `attempts_made` failed attempts, or `None` when the
/// delivery has had all its attempts. `jitter` in 0..=1000 spreads retries by
/// ±10 % so endpoints that come back are not hit by every delivery at once.
///
/// ```
/// use edgeref_shared::webhook::retry_delay_ms;
/// assert_eq!(retry_delay_ms(1, 500), Some(5_000));
/// assert_eq!(retry_delay_ms(8, 500), None);
/// ```
pub fn retry_delay_ms(attempts_made: u32, jitter: u32) -> Option<u64> {
    if attempts_made == 0 || attempts_made >= MAX_ATTEMPTS {
        return None;
    }
    let base = BACKOFF_MS[attempts_made as usize - 1];
    let jitter = jitter.min(1000) as u64;
    Some(base - base / 10 + base * jitter / 5000)
}

/// Whether a response status means delivered (any 2xx; redirects are not followed).
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_event_kind_is_named_once_and_parses_back() {
        let names: std::collections::HashSet<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), EventKind::ALL.len());
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            let (resource, verb) = kind.as_str().split_once('.').unwrap();
            assert!(!resource.is_empty() && !verb.is_empty() && !verb.contains('.'), "{kind:?}");
        }
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn schedule_spans_about_a_day_in_eight_attempts() {
        let total: u64 = (1..MAX_ATTEMPTS).map(|a| retry_delay_ms(a, 500).unwrap()).sum();
        assert!(total >= 24 * 3_600_000 && total <= 30 * 3_600_000, "{total}");
        assert_eq!((1..20).filter_map(|a| retry_delay_ms(a, 0)).count() as u32, MAX_ATTEMPTS - 1);
        assert_eq!(retry_delay_ms(0, 0), None);
    }

    #[test]
    fn event_kinds_and_delivery_statuses_are_their_names_on_the_wire() {
        for kind in EventKind::ALL {
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<EventKind>(&format!("\"{}\"", kind.as_str())).unwrap(), kind);
        }
        assert!(serde_json::from_str::<EventKind>("\"webhook.test\"").is_err());
        let statuses = [DeliveryStatus::Pending, DeliveryStatus::Succeeded, DeliveryStatus::Failed];
        assert_eq!(serde_json::to_string(&statuses).unwrap(), r#"["pending","succeeded","failed"]"#);
        assert_eq!(statuses.map(DeliveryStatus::as_str), ["pending", "succeeded", "failed"]);
    }

    #[test]
    fn events() {
        assert!(is_event_type("transaction.deleted"));
        assert!(!is_event_type("transaction deleted"));
        assert!(!is_event_type(TEST_EVENT));
        assert!(!is_event_type("Customer.Created"), "names are exact");
        assert!(is_success(204) && !is_success(301) && !is_success(500));
    }

    proptest! {
        #[test]
        fn jitter_stays_within_ten_percent(attempt in 1u32..MAX_ATTEMPTS, jitter in any::<u32>()) {
            let base = BACKOFF_MS[attempt as usize - 1];
            let d = retry_delay_ms(attempt, jitter).unwrap();
            prop_assert!(d >= base - base / 10 && d <= base + base / 10);
        }

        #[test]
        fn retries_never_shrink_for_the_same_jitter(attempt in 1u32..MAX_ATTEMPTS - 1, jitter in 0u32..=1000) {
            prop_assert!(retry_delay_ms(attempt + 1, jitter).unwrap() >= retry_delay_ms(attempt, jitter).unwrap());
        }
    }
}
