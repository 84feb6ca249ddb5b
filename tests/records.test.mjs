// CSV import and export against the real Worker (wrangler dev, local D1): upserts by
// key that keep referral codes, referrers in any row order and creation times; row
// errors by row, field and code while valid rows land; whole-file refusals (not CSV,
// a missing column, too large); streamed exports with formula escaping; and a round
// trip from one program into another. Never a 500, never half-written data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, createProgram, client, recountStats, ADMIN_TOKEN } from './harness.mjs';

let worker, owner;
before(async () => { worker = await startWorker(); owner = client(worker.url, ADMIN_TOKEN); });
after(() => worker?.stop());

/** POSTs a CSV body with an API key (or the admin token for `/v1/programs/{id}/…`). */
async function importCsv(token, body, { path = '/v1/customers/import', contentType = 'text/csv' } = {}) {
  const r = await fetch(worker.url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
  const text = await r.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: r.status, body: parsed };
}

async function exportCsv(token, path) {
  const r = await fetch(worker.url + path, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

/** A simple RFC 4180 reader for the tests' own checks (quoted cells, CRLF). */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') { /* CRLF: the \n ends the row */ } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/** Every customer of a program as {key: customer}, following the cursor. */
async function customers(api) {
  const all = {};
  let cursor = null;
  do {
    const r = await api('GET', `/v1/customers?limit=250${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200);
    for (const c of r.body.data) all[c.key] = c;
    cursor = r.body.next_cursor;
  } while (cursor);
  return all;
}

const errorsOf = (body) => body.errors.map((e) => [e.row, e.field, e.code]);

test('an import creates customers with their codes, creation times and referrers in any row order; re-running it changes nothing', async () => {
  const { key, api } = await createProgram(worker);
  assert.equal((await api('POST', '/v1/customers', { key: 'stored', email: 'stored@example.com', referral_code: 'stored-code' })).status, 201);
  const csv = '\uFEFFkey,email,name,surname,referral_code,referred_by,created_at\r\n'
    + 'carl,carl@example.com,Carl,,carl2019,bea,2021-03-04T05:06:07Z\r\n'
    + 'bea,bea@example.com,Bea,"B, ""the"" second",bea2019,ann,2020-01-02T00:00:00Z\r\n'
    + 'ann,ann@example.com,Ann,,ann2019,stored,2019-05-01T12:00:00Z\r\n'
    + 'dan,dan@example.com,,,,,\r\n';
  const first = await importCsv(key.key, csv);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(first.body, { created: 4, updated: 0, unchanged: 0, errors: [] });
  const all = await customers(api);
  assert.deepEqual(['ann', 'bea', 'carl'].map((k) => [all[k].referral_code, all[k].referred_by, all[k].created_at]), [
    ['ann2019', 'stored', '2019-05-01T12:00:00.000Z'], ['bea2019', 'ann', '2020-01-02T00:00:00.000Z'], ['carl2019', 'bea', '2021-03-04T05:06:07.000Z']]);
  assert.equal(all.bea.surname, 'B, "the" second');
  assert.match(all.dan.referral_code, /^[a-z0-9]{8}$/, 'a customer without a code gets a generated one');
  assert.deepEqual(['stored', 'ann', 'bea', 'carl'].map((k) => all[k].referrals_count), [1, 1, 1, 0]);
  assert.equal(all.carl.balance + all.carl.pending_balance + all.bea.balance + all.bea.pending_balance, 0, 'imported referrals earn no rewards');

  // The old links keep working: the imported code redirects to its program's site.
  const r = await fetch(`${worker.url}/r/ann2019`, { redirect: 'manual' });
  assert.equal(r.status, 302);

  const again = await importCsv(key.key, csv);
  assert.deepEqual(again.body, { created: 0, updated: 0, unchanged: 4, errors: [] });
  assert.deepEqual(await customers(api), all, 'nothing changed, not even updated_at');

  const edited = await importCsv(key.key, 'key,email,name\r\nann,ann@new.example,Ann\r\nbea,bea@example.com,Bea\r\n');
  assert.deepEqual(edited.body, { created: 0, updated: 1, unchanged: 1, errors: [] });
  const after = await customers(api);
  assert.equal(after.ann.email, 'ann@new.example');
  assert.equal(after.ann.referral_code, 'ann2019', 'a stored code stays');
  assert.equal(after.bea.surname, 'B, "the" second', 'a column not in the file keeps what is stored');
});

test('bad rows are reported by row, field and code; the valid rows land', async () => {
  const { key, api } = await createProgram(worker);
  assert.equal((await api('POST', '/v1/customers', { key: 'owner', email: 'owner@example.com', referral_code: 'taken' })).status, 201);
  const long = 'x'.repeat(1001);
  const csv = [
    'key,email,name,referral_code,referred_by',
    'ok1,ok1@example.com,One,,',
    'bad-email,not-an-email,,,',
    'thief,thief@example.com,,taken,',
    'orphan,orphan@example.com,,,nobody',
    'loop1,loop1@example.com,,,loop2',
    'loop2,loop2@example.com,,,loop1',
    'ok1,again@example.com,,,',
    `longname,long@example.com,${long},,`,
    'ok2,ok2@example.com,Two,,ok1',
    'me,me@example.com,,,me',
    'child,child@example.com,,,bad-email',
  ].join('\n');
  const r = await importCsv(key.key, csv);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(errorsOf(r.body), [
    [3, 'email', 'invalid'], [4, 'referral_code', 'code_taken'], [5, 'referred_by', 'unknown_referrer'],
    [6, 'referred_by', 'referral_cycle'], [7, 'referred_by', 'referral_cycle'], [8, 'key', 'duplicate_key'],
    [9, 'name', 'too_long'], [11, 'referred_by', 'self_referral'], [12, 'referred_by', 'unknown_referrer']]);
  for (const e of r.body.errors) assert.ok(e.message.length > 0);
  assert.deepEqual([r.body.created, r.body.updated, r.body.unchanged], [2, 0, 0]);
  const all = await customers(api);
  assert.deepEqual(Object.keys(all).sort(), ['ok1', 'ok2', 'owner']);
  assert.equal(all.ok1.email, 'ok1@example.com', 'the first row of a key wins');
  assert.equal(all.ok2.referred_by, 'ok1');
});

test('a customer who already has a referrer keeps it; one without gets the file\'s', async () => {
  const { key, api } = await createProgram(worker);
  for (const body of [{ key: 'a', email: 'a@example.com' }, { key: 'b', email: 'b@example.com' }, { key: 'c', email: 'c@example.com', referring_customer: { key: 'a' } }, { key: 'd', email: 'd@example.com' }]) {
    assert.equal((await api('POST', '/v1/customers', body)).status, 201);
  }
  const r = await importCsv(key.key, 'key,email,referred_by\nc,c@example.com,b\nd,d@example.com,b\nc2,c2@example.com,\n');
  assert.deepEqual(errorsOf(r.body), [[2, 'referred_by', 'referrer_locked']]);
  assert.deepEqual([r.body.created, r.body.updated], [1, 1]);
  const all = await customers(api);
  assert.deepEqual([all.c.referred_by, all.d.referred_by, all.a.referrals_count, all.b.referrals_count], ['a', 'b', 1, 1]);
  // A cycle through a stored link: a is stored without a referrer, c (stored) is referred by a.
  const cycle = await importCsv(key.key, 'key,email,referred_by\na,a@example.com,c\n');
  assert.deepEqual(errorsOf(cycle.body), [[2, 'referred_by', 'referral_cycle']]);
});

test('whole files are refused: not CSV, no key or email column, over 5 MiB or 20,000 rows', async () => {
  const { key, api } = await createProgram(worker);
  const json = await importCsv(key.key, JSON.stringify({ key: 'a', email: 'a@example.com' }), { contentType: 'application/json' });
  assert.equal(json.status, 415);
  const jsonAsCsv = await importCsv(key.key, JSON.stringify({ key: 'a', email: 'a@example.com' }));
  assert.deepEqual([jsonAsCsv.status, jsonAsCsv.body.error.field], [422, 'key']);
  const binary = await importCsv(key.key, new Uint8Array([0xff, 0xfe, 0x00, 0x81, 0x82]));
  assert.equal(binary.status, 400);
  assert.equal((await importCsv(key.key, '')).status, 400);
  const noKey = await importCsv(key.key, 'email,name\na@example.com,A\n');
  assert.deepEqual([noKey.status, noKey.body.error.field, noKey.body.error.code], [422, 'key', 'validation_failed']);
  assert.match(noKey.body.error.message, /key/);
  const noEmail = await importCsv(key.key, 'key,name\na,A\n');
  assert.deepEqual([noEmail.status, noEmail.body.error.field], [422, 'email']);
  const big = `key,email,name\n${'a,a@example.com,'.padEnd(1000, 'x')}\n`.repeat(5300);
  assert.ok(big.length > 5 * 1024 * 1024);
  const tooBig = await importCsv(key.key, big);
  assert.deepEqual([tooBig.status, tooBig.body.error.code], [413, 'payload_too_large']);
  const manyRows = 'key,email\n' + Array.from({ length: 20_001 }, (_, i) => `k${i},k${i}@example.com`).join('\n');
  assert.equal((await importCsv(key.key, manyRows)).status, 413);
  assert.equal((await importCsv(key.key, 'key,email\na,a@example.com\n', { path: '/v1/customers/import?notify=maybe' })).body.error.field, 'notify');
  assert.deepEqual(await customers(api), {}, 'nothing of a refused file was written');
});

test('mixed line endings, quotes inside quotes and multi-line cells in ignored columns read as RFC 4180 says', async () => {
  const { key, api } = await createProgram(worker);
  const csv = 'key,email,name,notes\r\na,a@example.com,"Ann ""Nan"" A","line one\r\nline two"\nb,b@example.com,Bob,x\rc,c@example.com,"C, Esq.",\r\n\r\n';
  const r = await importCsv(key.key, csv);
  assert.deepEqual(r.body, { created: 3, updated: 0, unchanged: 0, errors: [] });
  const all = await customers(api);
  assert.deepEqual([all.a.name, all.b.name, all.c.name], ['Ann "Nan" A', 'Bob', 'C, Esq.']);
  const ragged = await importCsv(key.key, 'key,email\nd,d@example.com,extra\n"e,e@example.com\n');
  assert.equal(ragged.status, 200);
  assert.deepEqual(errorsOf(ragged.body).map(([row, , code]) => [row, code]), [[2, 'field_count'], [3, 'field_count']]);
});

test('imported customers emit no customer.created events unless ?notify=true; each call is one audit entry', async () => {
  const { program, key, api } = await createProgram(worker);
  const hook = (await api('POST', '/v1/webhooks', { name: 'CRM', url: 'https://hooks.example/in', events: ['customer.created'] })).body;
  assert.equal((await importCsv(key.key, 'key,email\nquiet,quiet@example.com\n')).status, 200);
  let events = await api('GET', '/v1/events?type=customer.created');
  assert.deepEqual(events.body.data, []);
  const loud = await importCsv(key.key, 'key,email\nquiet,quiet@example.com\nloud,loud@example.com\n', { path: '/v1/customers/import?notify=true' });
  assert.deepEqual([loud.body.created, loud.body.unchanged], [1, 1]);
  events = await api('GET', '/v1/events?type=customer.created');
  assert.deepEqual(events.body.data.map((e) => e.data.key), ['loud']);
  const deliveries = await api('GET', `/v1/webhooks/${hook.id}/deliveries`);
  assert.equal(deliveries.status, 200);
  assert.equal(deliveries.body.data.length, 1, 'the notified creation is queued for the subscribed webhook, the quiet one is not');
  const log = await owner('GET', `/v1/programs/${program.id}/audit-log?action=customer.imported`);
  assert.equal(log.body.data.length, 2);
  assert.deepEqual(log.body.data[0].target, { type: 'program', id: program.id });
  assert.deepEqual(log.body.data[0].diff.created, { to: 1 });
  assert.deepEqual(log.body.data[0].diff.unchanged, { to: 1 });
  assert.equal(log.body.data[0].actor.type, 'api_key');
});

test('the owner imports and exports under /v1/programs/{id}/; an API key only its own program', async () => {
  const { program, key } = await createProgram(worker);
  const r = await importCsv(ADMIN_TOKEN, 'key,email\nowned,owned@example.com\n', { path: `/v1/programs/${program.id}/customers/import` });
  assert.equal(r.body.created, 1);
  const csv = await exportCsv(ADMIN_TOKEN, `/v1/programs/${program.id}/customers.csv`);
  assert.equal(csv.status, 200);
  assert.match(csv.text, /\r\nowned,owned@example.com,/);
  assert.equal((await exportCsv('nope', '/v1/customers.csv')).status, 401);
  assert.equal((await exportCsv(key.key, '/v1/programs.csv')).status, 404);
  assert.equal((await importCsv('nope', 'key,email\n')).status, 401);
});

test('exports are RFC 4180 with one header row, formula-like cells escaped, every row across pages', async () => {
  const { key, api } = await createProgram(worker);
  const rows = Array.from({ length: 2_345 }, (_, i) => `c${i},c${i}@example.com,Name ${i},`);
  rows[7] = 'c7,c7@example.com,=HYPERLINK("http://evil.example"),@SUM(1)';
  rows[8] = 'c8,c8@example.com,"+1, -2",-3';
  const imported = await importCsv(key.key, `key,email,name,surname\n${rows.join('\n')}\n`);
  assert.equal(imported.body.created, 2_345);
  assert.equal((await api('POST', '/v1/customers', { key: 'friend', email: 'friend@example.com', referring_customer: { key: 'c1' } })).status, 201);
  assert.equal((await api('POST', '/v1/transactions', { key: 't1', customer: { key: 'friend' }, amount: 1999, currency: 'EUR' })).status, 201);

  const res = await exportCsv(key.key, '/v1/customers.csv');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/csv; charset=utf-8/);
  assert.match(res.headers.get('content-disposition'), /attachment; filename="customers.csv"/);
  const table = parseCsv(res.text);
  assert.deepEqual(table[0], ['key', 'email', 'name', 'surname', 'referral_code', 'referred_by', 'created_at', 'referrals_count', 'balance', 'updated_at', 'stripe_customer_id']);
  assert.equal(table.length, 1 + 2_346, 'one header row, then every customer');
  assert.equal(new Set(table.slice(1).map((r) => r[0])).size, 2_346);
  const byKey = Object.fromEntries(table.slice(1).map((r) => [r[0], r]));
  assert.deepEqual(byKey.c7.slice(2, 4), ["'=HYPERLINK(\"http://evil.example\")", "'@SUM(1)"]);
  assert.deepEqual(byKey.c8.slice(2, 4), ["'+1, -2", "'-3"]);
  assert.equal(byKey.friend[5], 'c1');
  assert.ok(res.text.endsWith('\r\n') && !res.text.includes('\n\n'));

  for (const [file, first] of [['transactions', 'key'], ['rewards', 'id'], ['payouts', 'id']]) {
    const r = await exportCsv(key.key, `/v1/${file}.csv`);
    assert.equal(r.status, 200, file);
    assert.equal(parseCsv(r.text)[0][0], first, file);
  }
  const sales = parseCsv((await exportCsv(key.key, '/v1/transactions.csv')).text);
  assert.deepEqual(sales.slice(1).map((r) => [r[0], r[1], r[2], r[3], r[4]]), [['t1', 'friend', 'c1', '1999', 'EUR']]);
  const rewards = parseCsv((await exportCsv(key.key, '/v1/rewards.csv')).text);
  assert.ok(rewards.length >= 2 && rewards.slice(1).every((r) => r[1] === 'c1'));
});

test('round trip: export, import into a new program, same customers, codes and referrer links', async () => {
  const source = await createProgram(worker);
  const csv = 'key,email,name,surname,referral_code,referred_by,created_at\n'
    + 'root,root@example.com,=Root,,,,2020-01-01T00:00:00Z\n'
    + 'kid,kid@example.com,Kid,"O\'Neil, ""K""",kidcode,root,\n'
    + 'grandkid,gk@example.com,,,,kid,2022-02-02T02:02:02.123Z\n';
  assert.equal((await importCsv(source.key.key, csv)).body.created, 3);
  assert.equal((await importCsv(source.key.key, 'key,email,stripe_customer_id\nroot,root@example.com,cus_Root1\n')).body.updated, 1);
  assert.equal((await source.api('POST', '/v1/customers', { key: 'api-made', email: 'api@example.com', referring_customer: { key: 'grandkid' } })).status, 201);
  const exported = await exportCsv(source.key.key, '/v1/customers.csv');

  const target = await createProgram(worker);
  const r = await importCsv(target.key.key, exported.text);
  assert.deepEqual(r.body, { created: 4, updated: 0, unchanged: 0, errors: [] });
  const pick = (all) => Object.values(all).map((c) => [c.key, c.email, c.name, c.surname, c.referral_code, c.referred_by, c.created_at, c.referrals_count, c.stripe_customer_id]).sort();
  assert.deepEqual(pick(await customers(target.api)), pick(await customers(source.api)));
  assert.deepEqual((await importCsv(target.key.key, exported.text)).body, { created: 0, updated: 0, unchanged: 4, errors: [] });
  assert.equal((await target.api('GET', '/v1/customers/root')).body.stripe_customer_id, 'cus_Root1', 'the Stripe link goes with the file');
});

test('a broken file is a row error or a 422 naming the header, never a 500, and writes nothing', async () => {
  const { key, api } = await createProgram(worker);
  const cycle = 'key,email,referred_by\n' + Array.from({ length: 300 }, (_, i) => `k${i},k${i}@example.com,k${(i + 1) % 300}`).join('\n');
  // [body, row errors as [row, field, code] (the first of each file), or the header field a 422 names]
  const cases = [
    ['key,email\n"unterminated', [2, '', 'field_count']],
    ['key,email\n\0,\0\n', [2, 'key', 'invalid']],
    ['"key","email"\n"a"",b"\n', [2, '', 'field_count']],
    [cycle, [2, 'referred_by', 'referral_cycle']],
    ['key,email,created_at\na,a@example.com,99999999999999999999\n', [2, 'created_at', 'invalid']],
    ['key,email\n' + 'ü'.repeat(2000) + ',a@example.com\n', [2, 'key', 'too_long']],
    [',,,\n,,,', 'key'],
    ['key,email,key\n', 'key'],
    ['KEY;EMAIL\na;a@example.com', 'key'],
  ];
  for (const [body, due] of cases) {
    const res = await importCsv(key.key, body);
    const label = `${JSON.stringify(body.slice(0, 40))} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
    if (typeof due === 'string') {
      assert.deepEqual([res.status, res.body.error.code, res.body.error.field], [422, 'validation_failed', due], label);
    } else {
      assert.equal(res.status, 200, label);
      assert.deepEqual([res.body.created, res.body.updated], [0, 0], label);
      const [first] = res.body.errors;
      assert.deepEqual([first.row, first.field, first.code], due, label);
    }
  }
  const blank = await importCsv(key.key, 'key,email\r\r\r');
  assert.deepEqual(blank.body, { created: 0, updated: 0, unchanged: 0, errors: [] }, 'blank lines are no rows');
  assert.equal((await api('GET', '/v1/customers')).body.data.length, 0, 'nothing was written');
});

test('a dry run answers what the import would do and writes nothing', async () => {
  const { program, key, api } = await createProgram(worker);
  const csv = 'key,email,referred_by\na,a@example.com,\nb,b@example.com,zz\n';
  const dry = await importCsv(key.key, csv, { path: '/v1/customers/import?dry_run=true' });
  assert.deepEqual(dry.body, { created: 1, updated: 0, unchanged: 0, errors: [{ row: 3, field: 'referred_by', code: 'unknown_referrer', message: dry.body.errors[0]?.message }] });
  assert.deepEqual(await customers(api), {});
  const log = await owner('GET', `/v1/programs/${program.id}/audit-log?action=customer.imported`);
  assert.deepEqual(log.body.data, [], 'a dry run is not a change');
});

test('imported referrals count as signups on their own day, and the program counters agree with the rows', async () => {
  const { program, key, api } = await createProgram(worker);
  const today = new Date().toISOString().slice(0, 10);
  const csv = `key,email,referred_by,created_at\nr,r@example.com,,${today}\nf1,f1@example.com,r,${today}\nf2,f2@example.com,r,2001-01-01\nlate,late@example.com,,\n`;
  assert.equal((await importCsv(key.key, csv)).body.created, 4);
  // A stored customer without a referrer gets one: the relink counts as a signup too.
  assert.equal((await importCsv(key.key, 'key,email,referred_by\nlate,late@example.com,r\n')).body.updated, 1);
  const totals = (await owner('GET', `/v1/programs/${program.id}/stats`)).body.totals;
  assert.equal(totals.signups, 2, 'f1 and late in the last 30 days; f2 signed up in 2001');
  assert.deepEqual(totals, await recountStats(worker, program.id));
  assert.equal((await api('GET', '/v1/customers/r')).body.referrals_count, 3);
});
