-- Privacy and retention (docs/privacy.md).
--
-- Raw visits past a program's `tracking.visit_retention_days` are rolled up: the
-- scheduled run deletes them while a row sits in `visit_rollup`, and the two
-- "uncount" triggers leave the daily counts (visit_counts per referrer,
-- program_days per program) alone then, so they keep counting what was deleted.
-- The row is inserted and removed in the same D1 batch as the delete: no other
-- write ever sees it.
CREATE TABLE visit_rollup (active INTEGER NOT NULL);

DROP TRIGGER visits_uncount;
CREATE TRIGGER visits_uncount AFTER DELETE ON visits WHEN OLD.bot = 0 AND NOT EXISTS (SELECT 1 FROM visit_rollup) BEGIN
  UPDATE visit_counts SET visits = visits - 1
  WHERE program_id = OLD.program_id AND referrer_key = OLD.referrer_key
    AND day = strftime('%Y-%m-%d', OLD.created_at / 1000, 'unixepoch');
END;

DROP TRIGGER program_days_unvisit;
CREATE TRIGGER program_days_unvisit AFTER DELETE ON visits WHEN OLD.bot = 0 AND NOT EXISTS (SELECT 1 FROM visit_rollup) BEGIN
  UPDATE program_days SET visits = visits - 1
  WHERE program_id = OLD.program_id AND day = strftime('%Y-%m-%d', OLD.created_at / 1000, 'unixepoch');
END;

-- The roll-up reads the oldest visits first.
CREATE INDEX visits_created ON visits (created_at);
-- Delivered outbox rows go after 30 days: succeeded deliveries by age, then events none is left for.
CREATE INDEX deliveries_done ON deliveries (status, updated_at);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX events_created ON events (created_at);
-- Friend invitations only count for 30 days (rate limits): older rows go then.
CREATE INDEX email_invites_created ON email_invites (created_at);
