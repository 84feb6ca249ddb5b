"""Seeds a local D1 database (the SQLite file wrangler keeps under --persist-to)
with N customers, visits and transactions for one program, in batches.
Usage: seed.py STATE_DIR PROGRAM_ID CUSTOMERS VISITS TRANSACTIONS"""
import glob
import random
import sqlite3
import sys
import time

state, program, n_customers, n_visits, n_tx = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
files = [f for f in glob.glob(f"{state}/**/*.sqlite", recursive=True) if "metadata" not in f]
db = sqlite3.connect(max(files, key=lambda f: __import__("os").path.getsize(f)))
rng = random.Random(7)
now = int(time.time() * 1000)
day = 86_400_000


def batches(rows, size=10_000):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


with db:
    # Every tenth customer refers; the others were referred by one of them.
    customers = (
        (program, f"c{i:07d}", f"c{i}@example.com", f"c{i}@example.com", f"code{i:07d}",
         None if i % 10 == 0 else f"c{(i // 10) * 10:07d}", now - rng.randrange(90) * day)
        for i in range(n_customers)
    )
    for b in batches(customers):
        db.executemany("INSERT INTO customers (program_id, key, email, email_norm, referral_code, referred_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?7)", b)
    visits = (
        (f"vis_seed{i:09d}", program, f"code{r:07d}", f"c{r:07d}", "https://shop.example/", "", now - rng.randrange(90 * day))
        for i in range(n_visits) for r in [rng.randrange(0, n_customers, 10)]
    )
    for b in batches(visits):
        db.executemany("INSERT INTO visits (id, program_id, code, referrer_key, url, referrer, created_at) VALUES (?,?,?,?,?,?,?)", b)
    tx = (
        (program, f"t{i:08d}", f"c{c:07d}", f"c{(c // 10) * 10:07d}", 1000 + i % 5000, "EUR", 100, f"h{i}", now - rng.randrange(90 * day))
        for i in range(n_tx) for c in [rng.randrange(n_customers)]
    )
    for b in batches(tx):
        db.executemany("INSERT INTO transactions (program_id, key, customer_key, referrer_key, amount, currency, reward, request_hash, created_at) VALUES (?,?,?,?,?,?,?,?,?)", b)
    db.execute("ANALYZE")
print(f"seeded {n_customers} customers, {n_visits} visits, {n_tx} transactions")
