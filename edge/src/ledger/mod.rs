//! The ledger: every movement of a customer's balance (rewards, reversals, credits, payouts).
//! A balance is always the sum of its ledger, because both change in the same batch. Rewards,
//! payouts and customers all write it; it depends on none of them.

pub mod store;

pub use store::LedgerEntry;
