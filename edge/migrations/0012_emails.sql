-- E-mail to referrers (docs/emails.md). Settings are JSON columns like tracking and
-- rewards; every existing program starts with e-mails off and a closed portal.
ALTER TABLE programs ADD COLUMN emails TEXT NOT NULL DEFAULT '{"enabled":false}';
ALTER TABLE programs ADD COLUMN portal TEXT NOT NULL DEFAULT '{"signup":"closed"}';
-- The origin the owner last reached this Worker at: the links in e-mail that the
-- scheduled run sends (no request to take an origin from) point there.
ALTER TABLE programs ADD COLUMN edge_origin TEXT;

-- Whom an e-mail delivery went to (filled in when it is composed), for the delivery log.
ALTER TABLE deliveries ADD COLUMN recipient TEXT;

-- Addresses (lower-cased) that receive nothing from the program but sign-in codes.
CREATE TABLE email_suppressions (
  program_id TEXT NOT NULL,
  address    TEXT NOT NULL,
  reason     TEXT NOT NULL,                -- unsubscribed | added
  created_at INTEGER NOT NULL,
  PRIMARY KEY (program_id, address)
);

-- The one live portal sign-in code per address: a keyed hash, never the code.
CREATE TABLE sign_in_codes (
  program_id TEXT NOT NULL,
  address    TEXT NOT NULL,
  code_hash  TEXT NOT NULL,
  tries_left INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (program_id, address)
);

-- Friend invitations sent from the portal: a day's per referrer, 30 days' per address.
CREATE TABLE email_invites (
  program_id   TEXT NOT NULL,
  address      TEXT NOT NULL,
  referrer_key TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX email_invites_address ON email_invites (program_id, address, created_at);
CREATE INDEX email_invites_referrer ON email_invites (program_id, referrer_key, created_at);

-- Fixed-window counters (sign-in codes and attempts per IP and address).
CREATE TABLE rate_counters (
  key        TEXT PRIMARY KEY,
  window_no  INTEGER NOT NULL,
  count      INTEGER NOT NULL
);

-- EMAIL_PROVIDER=dev: the messages `make dev` would have sent, shown at /__dev/mail.
CREATE TABLE dev_mail (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL,
  program_id  TEXT,
  message     TEXT NOT NULL,
  from_header TEXT NOT NULL,
  to_address  TEXT NOT NULL,
  reply_to    TEXT,
  subject     TEXT NOT NULL,
  text_body   TEXT NOT NULL,
  html_body   TEXT NOT NULL,
  headers     TEXT NOT NULL,               -- JSON object
  created_at  INTEGER NOT NULL
);
