-- Limited reward rules and milestones (docs/rewards.md#milestones).
-- A milestone reward (kind milestone) names the number of paying friends it is for; the unique
-- index makes it once per referrer and milestone, whatever the order and concurrency of sales.
ALTER TABLE rewards ADD COLUMN milestone INTEGER;
CREATE UNIQUE INDEX rewards_milestone ON rewards (program_id, customer_key, milestone) WHERE milestone IS NOT NULL;

-- How often the owner retried a failed delivery (a Stripe credit: POST …/credits/{credit}/retry).
-- Stripe replays its first answer to an Idempotency-Key, a refusal too, so each such retry sends
-- a new key (edgeref-credit-{reward}-retry{n}); automatic retries keep the same one.
ALTER TABLE deliveries ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;

-- A referred friend's own Stripe promotion code (rewards.friend stripe_promotion_code), once
-- Stripe created it (docs/fulfilment.md#a-promotion-code-per-friend).
ALTER TABLE customers ADD COLUMN promotion_code TEXT;

-- Refunds Paddle reports one by one (adjustment.created, each with its own amount): applied once
-- each, however often Paddle delivers them (docs/integrations.md#paddle-billing).
CREATE TABLE billing_refunds (
  program_id TEXT NOT NULL,
  refund_id  TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (program_id, refund_id)
);
