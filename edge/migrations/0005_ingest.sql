-- Bot visits are kept (flagged) but never counted.
ALTER TABLE visits ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;

-- Pre-aggregated visit counters, kept by a trigger so every path that inserts a
-- visit (the queue consumer, backfills) counts it exactly once: a redelivered
-- visit is ignored by INSERT OR IGNORE on its id and so never fires it.
CREATE TABLE visit_counts (
  program_id   TEXT NOT NULL,
  referrer_key TEXT NOT NULL,
  day          TEXT NOT NULL,               -- YYYY-MM-DD (UTC)
  visits       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (program_id, referrer_key, day)
);

CREATE TRIGGER visits_count AFTER INSERT ON visits WHEN NEW.bot = 0 BEGIN
  INSERT INTO visit_counts (program_id, referrer_key, day, visits)
  VALUES (NEW.program_id, NEW.referrer_key, strftime('%Y-%m-%d', NEW.created_at / 1000, 'unixepoch'), 1)
  ON CONFLICT (program_id, referrer_key, day) DO UPDATE SET visits = visits + 1;
END;

CREATE TRIGGER visits_uncount AFTER DELETE ON visits WHEN OLD.bot = 0 BEGIN
  UPDATE visit_counts SET visits = visits - 1
  WHERE program_id = OLD.program_id AND referrer_key = OLD.referrer_key
    AND day = strftime('%Y-%m-%d', OLD.created_at / 1000, 'unixepoch');
END;

-- Visits the queue gave up on (after its retries), kept for the owner to see and replay.
CREATE TABLE dead_visits (
  id         TEXT PRIMARY KEY,
  program_id TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
