-- Team accounts (docs/team.md): people with a role and an optional program limit,
-- invitations, per-person dashboard sessions, and API key scopes. The admin token
-- stays the break-glass owner and has no row here.
CREATE TABLE users (
  id              TEXT PRIMARY KEY,            -- usr_…
  email           TEXT NOT NULL UNIQUE,        -- lowercased
  role            TEXT NOT NULL,               -- owner | admin | member | billing | viewer
  programs        TEXT,                        -- JSON array of program ids, NULL: every program
  created_at      INTEGER NOT NULL,
  last_sign_in_at INTEGER
);

-- An invitation is accepted by the invited address's first sign-in by code (then deleted).
CREATE TABLE invitations (
  id          TEXT PRIMARY KEY,                -- inv_…
  email       TEXT NOT NULL UNIQUE,            -- lowercased; inviting again replaces it
  role        TEXT NOT NULL,
  programs    TEXT,
  invited_by  TEXT NOT NULL,                   -- the inviter as the audit log names them
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);

-- A person's dashboard sessions: the cookie carries the id (signed), each request checks
-- the row, so deleting it (sign-out, removal) ends the session at once.
CREATE TABLE team_sessions (
  id          TEXT PRIMARY KEY,                -- ses_…
  user_id     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  user_agent  TEXT
);
CREATE INDEX team_sessions_user ON team_sessions (user_id);

-- Existing keys keep today's full set of scopes.
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'customers:read,customers:write,transactions:read,transactions:write,rewards:read,rewards:write,payouts:write,exports:read,portal_tokens:write,webhooks:read,webhooks:write';
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
