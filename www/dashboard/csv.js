// CSV in the browser, for the import screen: reading the owner's file (RFC 4180),
// guessing which column is which, ordering rows so referrers come first, and
// writing the chunks sent to POST …/customers/import; and files the dashboard
// makes itself (the unsubscribed addresses), spreadsheet-safe. The rules that decide what
// lands (validation, codes, referrers, cycles) are the Worker's (edgeref_shared::records).

/** RFC 4180: quoted cells with "" for a quote, CRLF, LF or CR line ends; blank lines skipped. */
export function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false, i = 0;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const end = () => { row.push(cell); cell = ''; if (row.length > 1 || row[0] !== '') rows.push(row); row = []; };
  for (; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r') { if (s[i + 1] === '\n') i++; end(); } else if (c === '\n') end();
    else cell += c;
  }
  if (cell !== '' || row.length) end();
  return rows;
}

const quote = (cell) => (/[",\r\n]/.test(cell) || /^\s|\s$/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);

/** Rows back to CSV text (CRLF line ends). */
export const toCsv = (rows) => rows.map((r) => r.map((c) => quote(String(c ?? ''))).join(',')).join('\r\n') + '\r\n';

/**
 * A text cell a spreadsheet will not run: one starting with =, +, -, @, tab or CR, after any
 * 's (so '=x round-trips), gets a leading ', as the Worker's exports do (records.rs, escape_formula).
 */
export const defused = (text) => (/^'*[=+\-@\t\r]/.test(text) ? `'${text}` : text);

/** The import's columns: [name, label, required]. */
export const FIELDS = [
  ['key', 'Key (your id for the customer)', true], ['email', 'Email', true], ['name', 'First name'], ['surname', 'Last name'],
  ['referral_code', 'Referral code'], ['referred_by', 'Referred by (their referrer’s key)'], ['created_at', 'Signed up at'],
  ['stripe_customer_id', 'Stripe customer ID'],
];

// The header spellings the Worker reads as each column (shared/src/records.rs, column_for).
const ALIASES = {
  key: ['key', 'customer_key'], email: ['email', 'e_mail', 'email_address'], name: ['name', 'first_name'], surname: ['surname', 'last_name'],
  referral_code: ['referral_code', 'code'], referred_by: ['referred_by', 'referrer', 'referrer_key'], created_at: ['created_at'],
  stripe_customer_id: ['stripe_customer_id', 'stripe_customer', 'stripe_id'],
};
const normal = (h) => h.trim().toLowerCase().replace(/[-\s]/g, '_');

/** For each field, the index of the file's column it is read from (-1: none), guessed from the header. */
export function guessMapping(header) {
  const names = header.map(normal);
  return Object.fromEntries(FIELDS.map(([f]) => [f, names.findIndex((n) => ALIASES[f].includes(n))]));
}

/**
 * The file's data rows as the import's columns, referrers before the customers they
 * referred (so a file imported in several calls finds each referrer stored already).
 * Returns [{line, cells}] with `line` the row in the owner's file (header = 1).
 */
export function mappedRows(data, mapping) {
  const fields = FIELDS.map(([f]) => f).filter((f) => mapping[f] >= 0);
  const rows = data.map((r, i) => ({ line: i + 2, source: r, cells: fields.map((f) => (r[mapping[f]] ?? '').trim()) }));
  const keyAt = fields.indexOf('key'), byAt = fields.indexOf('referred_by');
  if (byAt < 0) return { fields, rows };
  const index = new Map();
  rows.forEach((r) => { if (!index.has(r.cells[keyAt])) index.set(r.cells[keyAt], r); });
  const ordered = [], placed = new Set();
  for (const start of rows) {
    // Walk up to the first placed ancestor, then place the chain top-down (iterative: files can be deep).
    const chain = [];
    for (let r = start; r && !placed.has(r); r = index.get(r.cells[byAt])) { placed.add(r); chain.push(r); }
    ordered.push(...chain.reverse());
  }
  return { fields, rows: ordered };
}

/** Chunks of at most `maxRows` rows and about `maxBytes` of CSV each. */
export function chunks(rows, maxRows, maxBytes) {
  const out = [];
  let current = [], size = 0;
  for (const r of rows) {
    const bytes = r.cells.reduce((n, c) => n + c.length + 3, 2);
    if (current.length && (current.length >= maxRows || size + bytes > maxBytes)) { out.push(current); current = []; size = 0; }
    current.push(r);
    size += bytes;
  }
  if (current.length) out.push(current);
  return out;
}
