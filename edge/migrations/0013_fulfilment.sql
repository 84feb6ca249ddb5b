-- Rewards that pay themselves (docs/fulfilment.md).
-- The customer's id in the merchant's Stripe account (cus_…): set through the API, an
-- import, or a paid Stripe checkout / invoice whose buyer is this customer.
ALTER TABLE customers ADD COLUMN stripe_customer_id TEXT;
-- How a payout was made: recorded by the owner (manual) or a Stripe customer-balance credit.
ALTER TABLE payouts ADD COLUMN method TEXT NOT NULL DEFAULT 'manual';
