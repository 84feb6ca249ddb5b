//! The HTTP transport against the real Worker. tests/clients.test.mjs starts
//! `wrangler dev`, creates a program and runs this with EDGEREF_URL and
//! EDGEREF_API_KEY set; without them it has nothing to talk to and skips.
#![cfg(feature = "http")]

use edgeref_client::types::{CreateCustomer, CreatePayout, CreateTransaction, CustomerRef, RewardKind, RewardStatus};
use edgeref_client::{Client, Error, HttpTransport, ListQuery};

#[tokio::test]
async fn the_referral_flow_over_http() {
    let (Ok(url), Ok(key)) = (std::env::var("EDGEREF_URL"), std::env::var("EDGEREF_API_KEY")) else {
        eprintln!("EDGEREF_URL / EDGEREF_API_KEY unset: skipped (tests/clients.test.mjs runs this against wrangler dev)");
        return;
    };
    let edgeref = Client::new(HttpTransport::new(url), key);

    edgeref.create_customer(&CreateCustomer::new("ann", "ann@example.com").name("Ann")).await.expect("ann");
    let bob = edgeref.create_customer(&CreateCustomer::new("bob", "bob@example.com").referred_by(CustomerRef::key("ann"))).await.expect("bob");
    assert_eq!(bob.referred_by.as_deref(), Some("ann"));
    let sale = CreateTransaction::new("order-1001", CustomerRef::key("bob"), 4900, "EUR");
    let t = edgeref.create_transaction(&sale).await.expect("sale");
    assert_eq!(t.reward, 490);
    assert_eq!(edgeref.create_transaction(&sale).await.expect("retry"), t);
    let reused = edgeref.create_transaction(&CreateTransaction { amount: 9900, ..sale }).await.unwrap_err();
    assert!(matches!(&reused, Error::IdempotencyConflict(e) if e.field.as_deref() == Some("key")), "{reused:?}");

    // The reward, as Edgeref recorded it (how it splits into settled and pending balances is the Worker's business).
    assert_eq!(edgeref.get_transaction("order-1001").await.expect("the sale").reward, 490);
    assert_eq!(edgeref.get_customer("ann").await.expect("ann again").referrals_count, 1);

    let invalid = edgeref.create_customer(&CreateCustomer::new("cy", "not-an-email")).await.unwrap_err();
    assert!(matches!(&invalid, Error::Validation(e) if e.code == "validation_failed"), "{invalid:?}");
    assert_eq!(invalid.field(), Some("email"));
    assert!(matches!(edgeref.get_customer("cy").await, Err(Error::NotFound(_))));

    edgeref.create_customer(&CreateCustomer::new("dee", "dee@example.com").referred_by(CustomerRef::email("ann@example.com"))).await.expect("dee");
    let mut keys: Vec<String> = edgeref.referrals("ann", ListQuery::limit(1)).collect_all().await.expect("referrals").into_iter().map(|c| c.key).collect();
    keys.sort();
    assert_eq!(keys, ["bob", "dee"]);
    assert_eq!(edgeref.transactions(ListQuery::default()).collect_all().await.expect("transactions").len(), 1);

    // The referrer's reward waits for approval (or its hold); approve it and pay it out.
    let pending = edgeref.rewards(ListQuery { status: Some("pending".into()), customer: Some("ann".into()), ..Default::default() }).collect_all().await.expect("rewards");
    let reward = pending.iter().find(|r| r.transaction_key.as_deref() == Some("order-1001")).expect("the sale's reward");
    assert_eq!((reward.amount, reward.kind), (490, RewardKind::Referrer));
    assert_eq!(edgeref.approve_reward(&reward.id).await.expect("approve").status, RewardStatus::Approved);
    assert!(matches!(edgeref.approve_reward(&reward.id).await, Err(Error::Conflict(_))), "only a pending reward can be approved");
    let payables = edgeref.list_payables(&ListQuery::default()).await.expect("payables");
    assert!(payables.data.iter().any(|p| p.customer.key == "ann" && p.balance >= 490));
    let payout = edgeref.create_payout(&CreatePayout::all_of(CustomerRef::key("ann"))).await.expect("payout");
    assert!(payout.reward_ids.contains(&reward.id));
    assert_eq!(edgeref.list_payouts(&ListQuery::default()).await.expect("payouts").data.len(), 1);
    let ann = edgeref.get_customer("ann").await.expect("ann paid");
    assert_eq!((ann.balance, ann.paid_total), (0, payout.amount));

    let down = Client::new(HttpTransport::new("http://127.0.0.1:9"), "k");
    let e = down.me().await.unwrap_err();
    assert!(matches!(e, Error::Network(_)) && e.api().is_none(), "{e:?}");
}
