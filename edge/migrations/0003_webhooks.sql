-- Webhooks and the transactional outbox. An event row is written in the same
-- D1 batch as the change it describes, with one delivery row per subscribed
-- endpoint; delivery happens after commit and is retried by the cron trigger.

CREATE TABLE webhooks (
  id              TEXT PRIMARY KEY,         -- whk_…
  program_id      TEXT NOT NULL,
  name            TEXT NOT NULL,
  url             TEXT NOT NULL,
  events          TEXT NOT NULL,            -- JSON array of event types
  is_active       INTEGER NOT NULL DEFAULT 1,
  secret          TEXT NOT NULL,            -- whsec_…, needed in clear to sign
  source          TEXT,                     -- e.g. "zapier" for REST-hook subscriptions
  disabled_reason TEXT,                     -- why Edgeref switched it off
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX webhooks_program ON webhooks (program_id);

CREATE TABLE events (
  id         TEXT PRIMARY KEY,              -- msg_…: the webhook-id, stable across retries
  program_id TEXT NOT NULL,
  type       TEXT NOT NULL,
  payload    TEXT NOT NULL,                 -- the exact JSON body sent
  created_at INTEGER NOT NULL
);
CREATE INDEX events_program ON events (program_id, created_at);

CREATE TABLE deliveries (
  id              TEXT PRIMARY KEY,         -- {event id}.{webhook id}
  program_id      TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  webhook_id      TEXT NOT NULL,
  status          TEXT NOT NULL,            -- pending | succeeded | failed
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,                  -- also the lease: claimed rows move it forward
  last_code       INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at);

CREATE TABLE delivery_attempts (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id   TEXT NOT NULL,
  program_id    TEXT NOT NULL,
  attempted_at  INTEGER NOT NULL,
  response_code INTEGER,                    -- NULL when no response (timeout, refused)
  response_body TEXT,                       -- first 1 KiB
  duration_ms   INTEGER NOT NULL,
  error         TEXT,
  next_retry_at INTEGER                     -- NULL when final
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, attempted_at);
