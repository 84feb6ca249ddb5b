// Import customers from a CSV file (on the Customers tab): choose the file, map its
// columns (guessed from the header), preview the first rows with the errors the
// import would report (a dry run), then import in chunks with a progress bar, a
// final report and the failed rows to download, fix and import again.
import { postCsv, programPath } from '../../api.js';
import { h, card, field, failure, announce } from '../../dom.js';
import { parseCsv, toCsv, FIELDS, guessMapping, mappedRows, chunks } from '../../csv.js';
import { guarded } from '../../session.js';

/** Rows per call (the API takes 20,000 and 5 MiB; smaller calls move the progress bar). */
const CHUNK_ROWS = 1000;
const CHUNK_BYTES = 4 * 1024 * 1024;
const PREVIEW_ROWS = 10;
const PREVIEW_ERRORS = 20;

export function render(program, { onImported }) {
  const url = (dry) => programPath(program.id, `/customers/import${dry ? '?dry_run=true' : ''}`);
  const file = h('input', { type: 'file', accept: '.csv,text/csv', name: 'file' });
  const mapping = h('fieldset', { class: 'mapping', hidden: true }, h('legend', {}, 'Columns'));
  const preview = h('div', { class: 'import-preview', 'aria-live': 'polite' });
  const start = h('button', { type: 'button', hidden: true }, 'Import customers');
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Import progress' });
  const report = h('div', { class: 'import-report', 'aria-live': 'polite' });
  let header = [], data = [], selects = {};

  const current = () => Object.fromEntries(FIELDS.map(([f]) => [f, Number(selects[f].value)]));
  const mapped = () => mappedRows(data, current());
  const body = ({ fields, rows }) => toCsv([fields, ...rows.map((r) => r.cells)]);

  file.addEventListener('change', async () => {
    report.replaceChildren();
    const chosen = file.files[0];
    if (!chosen) return;
    const rows = parseCsv(await chosen.text());
    [header, data] = [rows[0] ?? [], rows.slice(1)];
    const guess = guessMapping(header);
    selects = Object.fromEntries(FIELDS.map(([f]) => [f, h('select', { name: f, onchange: () => check() },
      h('option', { value: -1 }, '— not imported —'), header.map((c, i) => h('option', { value: i, selected: guess[f] === i }, c || `Column ${i + 1}`)))]));
    mapping.replaceChildren(h('legend', {}, `Columns of ${chosen.name} (${data.length} rows)`),
      ...FIELDS.map(([f, label, required]) => field(required ? `${label} (required)` : label, selects[f])));
    mapping.hidden = false;
    await check();
  });

  /** The preview: a dry run of the first chunk, its first rows with what would happen to each. */
  async function check() {
    const m = mapped();
    start.hidden = true;
    const missing = FIELDS.filter(([f, , required]) => required && !m.fields.includes(f)).map(([, label]) => label);
    if (missing.length) return preview.replaceChildren(h('p', { class: 'form-error' }, `Choose the column for: ${missing.join(', ')}.`));
    if (!m.rows.length) return preview.replaceChildren(h('p', {}, 'The file has no rows under its header.'));
    const first = chunks(m.rows, CHUNK_ROWS, CHUNK_BYTES)[0];
    let answer;
    try { answer = await postCsv(url(true), body({ fields: m.fields, rows: first })); } catch (e) { return preview.replaceChildren(failure(e)); }
    const errors = byLine(first, answer.errors);
    // The file's first rows (the chunk holds each one's referrers too), then every error found.
    const shown = [...first].sort((a, b) => a.line - b.line).slice(0, PREVIEW_ROWS);
    const listed = [...errors].sort(([a], [b]) => a - b).slice(0, PREVIEW_ERRORS);
    preview.replaceChildren(
      h('p', {}, `Checked the first ${first.length} of ${m.rows.length} rows: ${answer.created} new, ${answer.updated} updated, ${answer.unchanged} unchanged, ${answer.errors.length} with errors.`),
      h('div', { class: 'scroll' }, h('table', { 'aria-label': 'Import preview' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Row'), m.fields.map((f) => h('th', { scope: 'col' }, f)), h('th', { scope: 'col' }, 'Would'))),
        h('tbody', {}, shown.map((r) => h('tr', { class: errors.has(r.line) ? 'error' : null }, h('td', {}, String(r.line)), r.cells.map((c) => h('td', {}, c)),
          h('td', {}, errors.has(r.line) ? errors.get(r.line).map(describe).join('; ') : 'be imported')))))),
      listed.length ? h('ul', { class: 'import-errors', 'aria-label': 'Errors the import would report' }, listed.map(([line, errs]) => h('li', {}, `Row ${line}: ${errs.map(describe).join('; ')}`))) : null);
    start.hidden = false;
  }

  start.addEventListener('click', async () => {
    const m = mapped();
    const parts = chunks(m.rows, CHUNK_ROWS, CHUNK_BYTES);
    const total = { created: 0, updated: 0, unchanged: 0, errors: [] };
    [start.disabled, file.disabled, progress.hidden, progress.max, progress.value] = [true, true, false, m.rows.length, 0];
    report.replaceChildren(h('p', {}, 'Importing…'));
    let stopped = null;
    for (const part of parts) {
      try {
        const answer = await postCsv(url(false), body({ fields: m.fields, rows: part }));
        for (const k of ['created', 'updated', 'unchanged']) total[k] += answer[k];
        for (const [line, errs] of byLine(part, answer.errors)) total.errors.push(...errs.map((e) => ({ ...e, row: line })));
      } catch (e) {
        stopped = { error: e, rows: m.rows.slice(m.rows.indexOf(part[0])) };
        break;
      }
      progress.value += part.length;
    }
    [start.disabled, file.disabled] = [false, false];
    showReport(total, stopped, m);
    onImported?.();
  });

  function showReport(total, stopped, m) {
    total.errors.sort((a, b) => a.row - b.row);
    const failedLines = new Set(total.errors.map((e) => e.row));
    const failed = m.rows.filter((r) => failedLines.has(r.line)).concat(stopped?.rows ?? []);
    const reasons = new Map(total.errors.map((e) => [e.row, describe(e)]));
    const download = failed.length ? h('a', {
      class: 'button secondary', download: 'failed-rows.csv',
      href: URL.createObjectURL(new Blob([toCsv([[...header, 'error'], ...failed.map((r) => [...r.source, reasons.get(r.line) ?? 'not imported'])])], { type: 'text/csv' })),
    }, `Download the ${failed.length} failed rows`) : null;
    report.replaceChildren(
      h('p', { role: 'status' }, h('strong', {}, stopped ? 'Import stopped. ' : 'Import finished. '),
        `${total.created} created, ${total.updated} updated, ${total.unchanged} unchanged, ${total.errors.length} rows with errors.`),
      stopped ? failure(stopped.error) : null,
      total.errors.length ? h('ul', { class: 'import-errors' }, total.errors.slice(0, 50).map((e) => h('li', {}, `Row ${e.row}: ${describe(e)}`))) : null,
      total.errors.length > 50 ? h('p', { class: 'muted' }, `…and ${total.errors.length - 50} more in the download.`) : null,
      download);
    announce(stopped ? 'Import stopped.' : 'Import finished.', { error: Boolean(stopped) });
  }

  return card({ id: 'customer-import', title: 'Import customers' },
    h('p', { class: 'muted' }, 'Bring customers over from a CSV file (for example another referral tool’s export): each row is created, or updated when its key exists. Referral codes in the file are kept, so links already shared keep working; referrers may be anywhere in the file. Imported customers trigger no webhooks and earn no rewards. No presets for other tools’ exports: map their columns below.'),
    guarded('customers', field('CSV file', file, 'UTF-8, with a header row. It is sent 1,000 rows at a time, so a file of any length works.'),
      mapping, preview, h('div', { class: 'actions' }, start), progress, report));
}

/** An import error as the owner reads it. */
const describe = (e) => `${e.field ? `${e.field}: ` : ''}${e.message} (${e.code})`;

/** The errors of a chunk by the row of the owner's file (the API numbers the chunk's rows from 2). */
function byLine(part, errors) {
  const out = new Map();
  for (const e of errors) {
    const line = part[e.row - 2]?.line ?? e.row;
    out.set(line, [...(out.get(line) ?? []), e]);
  }
  return out;
}
