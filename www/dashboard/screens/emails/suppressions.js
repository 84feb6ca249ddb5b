// E-mails → Unsubscribed addresses: who gets nothing from this program but sign-in codes
// (they unsubscribed, or the owner added them), paged; add and remove by hand; every page
// saved as one CSV file.
import { api, listPage, programPath } from '../../api.js';
import { h, card, pagedTable, field, fieldError, onSubmit, announce, confirmed, attempt, dateTime } from '../../dom.js';
import { toCsv, defused } from '../../csv.js';
import { deny, guard } from '../../session.js';

const PAGE = 50;
const REASONS = { unsubscribed: 'Unsubscribed', added: 'Added by you' };

export async function render(container, program) {
  const base = programPath(program.id, '/email-suppressions');

  const row = (s) => h('tr', {},
    h('td', { class: 'mono' }, s.email),
    h('td', {}, REASONS[s.reason] ?? s.reason),
    h('td', {}, h('time', { datetime: s.created_at }, dateTime(s.created_at))),
    h('td', {}, deny(h('button', {
      type: 'button', class: 'secondary', 'aria-label': `Remove ${s.email}`,
      onclick: confirmed(`Remove ${s.email} from the list? It receives this program’s e-mails again.`, async () => {
        await api('DELETE', `${base}/${encodeURIComponent(s.email)}`);
        announce(`${s.email} receives this program’s e-mails again.`);
        await table.reload();
      }),
    }, 'Remove'), 'customers')));
  const table = pagedTable({
    head: ['Address', 'Why', 'Since', ''], row, label: 'Unsubscribed addresses',
    fetchPage: (cursor) => listPage(base, { limit: PAGE }, cursor),
    empty: 'Nobody has unsubscribed.', moreLabel: 'Load more addresses',
  });

  const email = h('input', { type: 'email', name: 'email', required: true, maxlength: 254, autocomplete: 'off', 'data-field': 'email' });
  const add = onSubmit(h('form', { class: 'inline', 'aria-label': 'Add an address' },
    fieldError(field('Address', email, 'Someone asked you to stop writing to them.')),
    guard(h('button', { type: 'submit' }, 'Add address'), 'customers')),
  async (v) => {
    const address = v.get('email').trim();
    await api('POST', base, { email: address });
    add.reset();
    announce(`${address} gets no more e-mails from this program.`);
    await table.reload();
  });

  const exporting = h('span', { class: 'muted', 'aria-live': 'polite' });
  const exportButton = h('button', { type: 'button', class: 'secondary' }, 'Export CSV');
  exportButton.addEventListener('click', attempt(async () => {
    exportButton.disabled = true;
    try {
      await download(base, exporting);
    } finally {
      exportButton.disabled = false;
    }
  }));

  container.replaceChildren(card({ id: 'suppressions', title: 'Unsubscribed addresses', aside: h('div', { class: 'actions' }, exportButton, exporting) },
    h('p', { class: 'muted' }, 'These addresses get no e-mail from this program but portal sign-in codes. People land here with the unsubscribe link at the end of every message; remove an address when its owner wants your e-mails again.'),
    add, table.el));
  await table.reload();
}

/** Reads every page of the list and saves it as email-suppressions.csv. */
async function download(base, progress) {
  const rows = [['email', 'reason', 'created_at']];
  let cursor = null;
  do {
    const page = await listPage(base, { limit: 250 }, cursor);
    rows.push(...page.data.map((s) => [defused(s.email), s.reason, s.created_at]));
    progress.textContent = `${rows.length - 1} addresses read…`;
    cursor = page.next_cursor;
  } while (cursor);
  const href = URL.createObjectURL(new Blob([toCsv(rows)], { type: 'text/csv' }));
  const link = h('a', { href, download: 'email-suppressions.csv', hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  progress.textContent = `${rows.length - 1} addresses exported.`;
}
