-- A delivery goes either to a webhook endpoint or to an integration. Until now
-- an integration's deliveries put its name ('mailerlite') where a webhook id
-- belongs; now each kind has its own column and exactly one of them is set.
CREATE TABLE deliveries_new (
  id              TEXT PRIMARY KEY,         -- {event id}.{webhook id or integration name}
  program_id      TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  webhook_id      TEXT,                     -- a webhook endpoint…
  integration     TEXT,                     -- …or an integration: mailerlite
  status          TEXT NOT NULL,            -- pending | succeeded | failed
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,                  -- also the lease: claimed rows move it forward
  last_code       INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  CHECK ((webhook_id IS NULL) <> (integration IS NULL))
);
INSERT INTO deliveries_new (id, program_id, event_id, webhook_id, integration, status, attempts, next_attempt_at, last_code, created_at, updated_at)
  SELECT id, program_id, event_id,
         CASE WHEN webhook_id = 'mailerlite' THEN NULL ELSE webhook_id END,
         CASE WHEN webhook_id = 'mailerlite' THEN 'mailerlite' END,
         status, attempts, next_attempt_at, last_code, created_at, updated_at
  FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at);
CREATE INDEX deliveries_integration ON deliveries (program_id, integration, status);
