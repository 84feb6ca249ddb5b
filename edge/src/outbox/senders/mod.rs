//! How the outbox reaches each kind of target. The outbox owns its senders, so the resources
//! that produce events (webhooks, integrations) depend on it, never the reverse.

pub mod mailerlite;
pub mod webhook;
pub mod email;
pub mod stripe_credit;
pub mod stripe_promotion_code;
