-- Exports (`GET /v1/{table}.csv`) read a program's rows in keyset pages by rowid.
-- An index on (program_id) alone is ordered by (program_id, rowid), so each page is a
-- range read of the next rows: without it SQLite scans the program's rows through
-- the (program_id, key) index and sorts them, for every page. (rewards has `rewards_page`.)
CREATE INDEX customers_page ON customers (program_id);
CREATE INDEX transactions_page ON transactions (program_id);
CREATE INDEX payouts_page ON payouts (program_id);
