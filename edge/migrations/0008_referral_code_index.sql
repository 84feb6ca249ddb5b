-- Redirect links `/r/{code}` find a code's program by the code alone (a code is
-- unique per program, not globally): this index makes that one lookup.
CREATE INDEX customers_referral_code ON customers (referral_code);
