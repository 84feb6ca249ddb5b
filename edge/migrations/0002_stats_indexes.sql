-- Program stats (GET /v1/programs/{id}/stats) read a program's recent rows by
-- time (visits come pre-counted per day from visit_counts).
CREATE INDEX customers_program_time ON customers (program_id, created_at);
CREATE INDEX transactions_program_time ON transactions (program_id, created_at);
CREATE INDEX ledger_program_time ON ledger (program_id, created_at);
