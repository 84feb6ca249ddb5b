-- The audit log: every change made through the owner API, the dashboard or an
-- API key, written in the same D1 batch as the change. Kept 400 days: the
-- scheduled run deletes older rows, a bounded number per run.
CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT, -- pages follow it, newest first
  program_id  TEXT NOT NULL,
  actor       TEXT NOT NULL,                     -- admin | session | system | the API key's id (key_…)
  actor_name  TEXT,                              -- the API key's name when the change was made
  action      TEXT NOT NULL,                     -- customer.created, program.updated, api_key.revoked…
  target_type TEXT NOT NULL,                     -- customer, program, api_key, webhook…
  target_id   TEXT NOT NULL,                     -- its id or key
  diff        TEXT NOT NULL DEFAULT '{}',        -- JSON {"field": {"from", "to"}}, secrets redacted
  ip_hash     TEXT,                              -- keyed hash of CF-Connecting-IP (as signups.ip_hash)
  created_at  INTEGER NOT NULL
);
-- Audit rows outlive their program (a deleted program's log names who deleted it), so no foreign key.
CREATE INDEX audit_log_page ON audit_log (program_id, id);
CREATE INDEX audit_log_actor ON audit_log (program_id, actor, id);
CREATE INDEX audit_log_action ON audit_log (program_id, action, id);
CREATE INDEX audit_log_target ON audit_log (program_id, target_type, target_id, id);
CREATE INDEX audit_log_created ON audit_log (created_at);
