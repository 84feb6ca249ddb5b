-- Third-party integrations per program. Public settings in JSON; the secret
-- (Stripe signing secret, MailerLite token) sealed with AES-256-GCM.
CREATE TABLE integrations (
  program_id TEXT NOT NULL,
  name       TEXT NOT NULL,                 -- stripe | mailerlite
  settings   TEXT NOT NULL,                 -- JSON, safe to show
  secret     TEXT NOT NULL,                 -- seal::seal output, never shown
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (program_id, name)
);
