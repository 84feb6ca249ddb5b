-- Edgeref schema. D1 is the source of truth; KV only caches what the hot
-- tracking paths read. Times are Unix milliseconds; money is integer minor units.

CREATE TABLE programs (
  id          TEXT PRIMARY KEY,             -- prg_…
  public_id   TEXT NOT NULL UNIQUE,         -- in /s/{public_id}.js
  name        TEXT NOT NULL,
  website_url TEXT NOT NULL,
  tracking    TEXT NOT NULL,                -- JSON TrackingSettings
  rewards     TEXT NOT NULL,                -- JSON RewardRules
  created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,            -- key_…
  program_id   TEXT NOT NULL,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,               -- shown in lists: erk_XXXXXXXX
  hash         TEXT NOT NULL UNIQUE,        -- SHA-256 of the key; the key itself is never stored
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);
CREATE INDEX api_keys_program ON api_keys (program_id);

CREATE TABLE customers (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- stable cursor order
  program_id      TEXT NOT NULL,
  key             TEXT NOT NULL,            -- the merchant's id for the customer
  email           TEXT NOT NULL,
  email_norm      TEXT NOT NULL,            -- normalised mailbox, for self-referral checks
  name            TEXT,
  surname         TEXT,
  referral_code   TEXT NOT NULL,
  referred_by     TEXT,                     -- referrer's key, or NULL
  friend_reward   TEXT,                     -- JSON FriendReward granted at signup
  balance         INTEGER NOT NULL DEFAULT 0,   -- = SUM(ledger.amount), kept in the same batch
  referrals_count INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (program_id, key),
  UNIQUE (program_id, referral_code)
);
CREATE INDEX customers_email ON customers (program_id, email COLLATE NOCASE);
CREATE INDEX customers_referred_by ON customers (program_id, referred_by);

-- Referred visits: one row per beacon with a valid code.
CREATE TABLE visits (
  id           TEXT PRIMARY KEY,            -- vis_…
  program_id   TEXT NOT NULL,
  code         TEXT NOT NULL,
  referrer_key TEXT NOT NULL,
  url          TEXT NOT NULL,
  referrer     TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX visits_referrer ON visits (program_id, referrer_key, created_at);

-- Every signup attribution attempt, attributed or refused, with the reason.
CREATE TABLE signups (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  program_id   TEXT NOT NULL,
  customer_key TEXT NOT NULL,
  code         TEXT NOT NULL,
  visit_id     TEXT,
  referrer_key TEXT,
  attributed   INTEGER NOT NULL,            -- 1 or 0
  reason       TEXT,                        -- refusal reason when attributed = 0
  created_at   INTEGER NOT NULL
);
CREATE INDEX signups_customer ON signups (program_id, customer_key);

CREATE TABLE transactions (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  program_id   TEXT NOT NULL,
  key          TEXT NOT NULL,               -- the merchant's idempotency key
  customer_key TEXT NOT NULL,
  referrer_key TEXT,
  amount       INTEGER NOT NULL,
  currency     TEXT NOT NULL,
  product_id   TEXT,
  reward       INTEGER NOT NULL DEFAULT 0,  -- what the referrer earned from it
  friend_reward INTEGER NOT NULL DEFAULT 0, -- what the referred customer earned from it
  refunded     INTEGER NOT NULL DEFAULT 0,
  request_hash TEXT NOT NULL,               -- to tell a retry from a different body
  created_at   INTEGER NOT NULL,
  UNIQUE (program_id, key)
);
CREATE INDEX transactions_customer ON transactions (program_id, customer_key);
CREATE INDEX transactions_referrer ON transactions (program_id, referrer_key);

-- The balance ledger: rewards, reversals and manual credits.
CREATE TABLE ledger (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  program_id      TEXT NOT NULL,
  customer_key    TEXT NOT NULL,
  amount          INTEGER NOT NULL,
  kind            TEXT NOT NULL,            -- reward | reversal | credit
  transaction_key TEXT,
  note            TEXT,
  created_at      INTEGER NOT NULL
);
CREATE INDEX ledger_customer ON ledger (program_id, customer_key);

-- One row per deleted transaction: its first statement in the delete batch, so
-- two concurrent deletes cannot both reverse the reward (the second one fails
-- on the primary key and its whole batch rolls back).
CREATE TABLE transaction_deletions (
  transaction_id INTEGER PRIMARY KEY,
  program_id     TEXT NOT NULL,
  key            TEXT NOT NULL,
  deleted_at     INTEGER NOT NULL
);

-- One row per applied refund step, keyed by the refunded amount it started
-- from: a compare-and-set, so concurrent refunds of one sale cannot both apply.
CREATE TABLE transaction_refunds (
  transaction_id  INTEGER NOT NULL,
  refunded_before INTEGER NOT NULL,
  refunded_after  INTEGER NOT NULL,
  program_id      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (transaction_id, refunded_before)
);
