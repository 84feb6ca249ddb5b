-- A program's results per UTC day, kept by triggers so program stats read at
-- most one row per day however many visits, customers and sales there are
-- (visit_counts is per referrer: at scale it is almost as long as visits).
-- Each column mirrors the query it replaces in edge/src/programs/stats.rs:
--   visits       non-bot visits
--   signups      customers with a referrer, by their created_at
--   conversions  sales credited to a referrer and not fully refunded
--   revenue      those sales net of refunds
--   rewards      ledger rewards, reversals and refunds, by their created_at
CREATE TABLE program_days (
  program_id  TEXT NOT NULL,
  day         TEXT NOT NULL,               -- YYYY-MM-DD (UTC)
  visits      INTEGER NOT NULL DEFAULT 0,
  signups     INTEGER NOT NULL DEFAULT 0,
  conversions INTEGER NOT NULL DEFAULT 0,
  revenue     INTEGER NOT NULL DEFAULT 0,
  rewards     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (program_id, day)
);

-- Backfill from what is already stored.
INSERT INTO program_days (program_id, day, visits, signups, conversions, revenue, rewards)
SELECT program_id, day, SUM(v), SUM(s), SUM(c), SUM(r), SUM(w) FROM (
  SELECT program_id, day, visits AS v, 0 AS s, 0 AS c, 0 AS r, 0 AS w FROM visit_counts
  UNION ALL
  SELECT program_id, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'), 0, 1, 0, 0, 0
    FROM customers WHERE referred_by IS NOT NULL
  UNION ALL
  SELECT program_id, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'), 0, 0, refunded < amount, amount - refunded, 0
    FROM transactions WHERE referrer_key IS NOT NULL
  UNION ALL
  SELECT program_id, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'), 0, 0, 0, 0, amount
    FROM ledger WHERE kind IN ('reward', 'reversal', 'refund')
) GROUP BY program_id, day;

-- Additions upsert their day's row; removals only update (so deleting a whole
-- program never re-creates rows it has just deleted).
CREATE TRIGGER program_days_visit AFTER INSERT ON visits WHEN NEW.bot = 0 BEGIN
  INSERT INTO program_days (program_id, day, visits) VALUES (NEW.program_id, strftime('%Y-%m-%d', NEW.created_at / 1000, 'unixepoch'), 1)
  ON CONFLICT (program_id, day) DO UPDATE SET visits = visits + 1;
END;
CREATE TRIGGER program_days_unvisit AFTER DELETE ON visits WHEN OLD.bot = 0 BEGIN
  UPDATE program_days SET visits = visits - 1
  WHERE program_id = OLD.program_id AND day = strftime('%Y-%m-%d', OLD.created_at / 1000, 'unixepoch');
END;

CREATE TRIGGER program_days_signup AFTER INSERT ON customers WHEN NEW.referred_by IS NOT NULL BEGIN
  INSERT INTO program_days (program_id, day, signups) VALUES (NEW.program_id, strftime('%Y-%m-%d', NEW.created_at / 1000, 'unixepoch'), 1)
  ON CONFLICT (program_id, day) DO UPDATE SET signups = signups + 1;
END;
CREATE TRIGGER program_days_unsignup AFTER DELETE ON customers WHEN OLD.referred_by IS NOT NULL BEGIN
  UPDATE program_days SET signups = signups - 1
  WHERE program_id = OLD.program_id AND day = strftime('%Y-%m-%d', OLD.created_at / 1000, 'unixepoch');
END;
-- A referrer's deletion unlinks its referred customers (referred_by → NULL).
CREATE TRIGGER program_days_relink AFTER UPDATE OF referred_by ON customers
WHEN (OLD.referred_by IS NULL) != (NEW.referred_by IS NULL) BEGIN
  INSERT INTO program_days (program_id, day, signups)
  VALUES (NEW.program_id, strftime('%Y-%m-%d', NEW.created_at / 1000, 'unixepoch'), CASE WHEN NEW.referred_by IS NULL THEN -1 ELSE 1 END)
  ON CONFLICT (program_id, day) DO UPDATE SET signups = signups + excluded.signups;
END;

CREATE TRIGGER program_days_sale AFTER INSERT ON transactions WHEN NEW.referrer_key IS NOT NULL BEGIN
  INSERT INTO program_days (program_id, day, conversions, revenue)
  VALUES (NEW.program_id, strftime('%Y-%m-%d', NEW.created_at / 1000, 'unixepoch'), NEW.refunded < NEW.amount, NEW.amount - NEW.refunded)
  ON CONFLICT (program_id, day) DO UPDATE SET conversions = conversions + excluded.conversions, revenue = revenue + excluded.revenue;
END;
CREATE TRIGGER program_days_unsale AFTER DELETE ON transactions WHEN OLD.referrer_key IS NOT NULL BEGIN
  UPDATE program_days SET conversions = conversions - (OLD.refunded < OLD.amount), revenue = revenue - (OLD.amount - OLD.refunded)
  WHERE program_id = OLD.program_id AND day = strftime('%Y-%m-%d', OLD.created_at / 1000, 'unixepoch');
END;
-- Refunds and unlinked referrers: take the old row out, put the new one in.
CREATE TRIGGER program_days_resale AFTER UPDATE OF refunded, amount, referrer_key ON transactions BEGIN
  UPDATE program_days SET conversions = conversions - (OLD.refunded < OLD.amount), revenue = revenue - (OLD.amount - OLD.refunded)
  WHERE OLD.referrer_key IS NOT NULL AND program_id = OLD.program_id AND day = strftime('%Y-%m-%d', OLD.created_at / 1000, 'unixepoch');
  INSERT INTO program_days (program_id, day, conversions, revenue)
  SELECT NEW.program_id, strftime('%Y-%m-%d', NEW.created_at / 1000, 'unixepoch'), NEW.refunded < NEW.amount, NEW.amount - NEW.refunded
  WHERE NEW.referrer_key IS NOT NULL
  ON CONFLICT (program_id, day) DO UPDATE SET conversions = conversions + excluded.conversions, revenue = revenue + excluded.revenue;
END;

CREATE TRIGGER program_days_reward AFTER INSERT ON ledger WHEN NEW.kind IN ('reward', 'reversal', 'refund') BEGIN
  INSERT INTO program_days (program_id, day, rewards) VALUES (NEW.program_id, strftime('%Y-%m-%d', NEW.created_at / 1000, 'unixepoch'), NEW.amount)
  ON CONFLICT (program_id, day) DO UPDATE SET rewards = rewards + excluded.rewards;
END;
CREATE TRIGGER program_days_unreward AFTER DELETE ON ledger WHEN OLD.kind IN ('reward', 'reversal', 'refund') BEGIN
  UPDATE program_days SET rewards = rewards - OLD.amount
  WHERE program_id = OLD.program_id AND day = strftime('%Y-%m-%d', OLD.created_at / 1000, 'unixepoch');
END;
