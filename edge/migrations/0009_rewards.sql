-- Reward lifecycle: one currency per program, rewards as rows with a status
-- (pending → approved | rejected | reversed → paid), payouts, fraud flags.
--
-- The balance ledger stays the source of `customers.balance`: an approved
-- reward adds to it, a payout takes from it, so `balance` is what is approved
-- and not yet paid. Pending rewards are only rows here until they are approved.

-- One currency per program: the one most of its transactions use, else USD.
ALTER TABLE programs ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
UPDATE programs SET currency = COALESCE(
  (SELECT t.currency FROM transactions t WHERE t.program_id = programs.id GROUP BY t.currency ORDER BY COUNT(*) DESC, MIN(t.id) LIMIT 1),
  'USD');
-- The migration's check: programs that already mixed currencies keep every row
-- and are listed here (`wrangler d1 execute DB --command "SELECT * FROM mixed_currency_programs"`).
CREATE VIEW mixed_currency_programs AS
  SELECT program_id, COUNT(DISTINCT currency) AS currencies, group_concat(DISTINCT currency) AS codes
  FROM transactions GROUP BY program_id HAVING COUNT(DISTINCT currency) > 1;

-- What a referred customer's signup looked like to fraud review (JSON array of flags).
ALTER TABLE customers ADD COLUMN fraud_flags TEXT NOT NULL DEFAULT '[]';
-- A keyed hash of the signup's client IP, for the same_visitor flag.
ALTER TABLE signups ADD COLUMN ip_hash TEXT;

CREATE TABLE rewards (
  id              TEXT PRIMARY KEY,           -- rwd_…
  program_id      TEXT NOT NULL,
  customer_key    TEXT NOT NULL,              -- who earns it
  kind            TEXT NOT NULL,              -- referrer | friend
  referred_key    TEXT,                       -- the referred customer whose signup or sale earned it
  amount          INTEGER NOT NULL,           -- minor units of `currency`, what is still owed by this reward
  currency        TEXT NOT NULL,
  status          TEXT NOT NULL,              -- pending | approved | rejected | reversed | paid
  flags           TEXT NOT NULL DEFAULT '[]', -- JSON array: disposable_email, lookalike_email, same_visitor, velocity
  transaction_key TEXT,                       -- the sale it came from; NULL for a signup reward
  available_at    INTEGER NOT NULL,           -- end of the hold
  created_at      INTEGER NOT NULL,
  decided_at      INTEGER,
  reason          TEXT,                       -- why it was rejected or reversed
  payout_id       TEXT,
  decision        TEXT                        -- a token naming the write that last changed its status
);
-- Pages follow rowid (creation order); these indexes carry it.
CREATE INDEX rewards_page ON rewards (program_id);
CREATE INDEX rewards_status ON rewards (program_id, status);
CREATE INDEX rewards_decision ON rewards (decision);
CREATE INDEX rewards_due ON rewards (status, available_at);
CREATE INDEX rewards_customer ON rewards (program_id, customer_key, status);
CREATE INDEX rewards_transaction ON rewards (program_id, transaction_key);

CREATE TABLE payouts (
  id           TEXT PRIMARY KEY,              -- pay_…
  program_id   TEXT NOT NULL,
  customer_key TEXT NOT NULL,
  amount       INTEGER NOT NULL,
  currency     TEXT NOT NULL,
  reference    TEXT,
  note         TEXT,
  reward_ids   TEXT NOT NULL,                 -- JSON array of the rewards it covered in full
  created_at   INTEGER NOT NULL
);
CREATE INDEX payouts_program ON payouts (program_id, created_at, id);
CREATE INDEX payouts_customer ON payouts (program_id, customer_key);

-- A guard row is never stored: `INSERT INTO guards SELECT NULL WHERE <condition fails>`
-- violates NOT NULL and so rolls back the whole D1 batch it is in (a compare-and-set).
CREATE TABLE guards (ok INTEGER NOT NULL);

-- Rewards earned before this migration were approved on the spot: they become
-- approved rows (their refunds and reversals stay in the ledger, as before).
INSERT INTO rewards (id, program_id, customer_key, referred_key, kind, amount, currency, status, transaction_key, available_at, created_at, decided_at)
  SELECT 'rwd_m' || l.id, l.program_id, l.customer_key, t.customer_key,
         CASE WHEN t.referrer_key = l.customer_key OR (t.key IS NULL AND COALESCE(l.note, '') <> 'friend signup reward') THEN 'referrer' ELSE 'friend' END,
         l.amount, p.currency, 'approved', l.transaction_key, l.created_at, l.created_at, l.created_at
  FROM ledger l JOIN programs p ON p.id = l.program_id
  LEFT JOIN transactions t ON t.program_id = l.program_id AND t.key = l.transaction_key
  WHERE l.kind = 'reward';
