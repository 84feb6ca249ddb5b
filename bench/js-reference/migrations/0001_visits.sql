CREATE TABLE visits (
  id TEXT PRIMARY KEY, program_id TEXT NOT NULL, code TEXT NOT NULL, referrer_key TEXT NOT NULL,
  url TEXT NOT NULL, referrer TEXT NOT NULL, created_at INTEGER NOT NULL
);
