// Customers: each with their referral link and short link, who referred them, their referrals and balance.
import { api, programPath } from '../api.js';
import { h, section, copyButton, money, date, failure } from '../dom.js';
import * as importer from './customers/importer.js';

const PAGE = 50;
/** Column headings, with what each amount means as a tooltip. */
const COLUMNS = [['Customer'], ['Referral link'], ['Referred by'], ['Referrals'],
  ['Pending', 'Rewards on hold or waiting for review'], ['Balance', 'Approved rewards not yet paid: what you owe now'], ['Paid', 'Paid out so far'], ['Joined']];

export async function render(container, program) {
  const base = programPath(program.id, '/customers');
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more customers');
  let cursor = null;

  const load = async () => {
    const query = new URLSearchParams({ limit: PAGE, ...(cursor ? { cursor } : {}) });
    const page = await api('GET', `${base}?${query}`);
    body.append(...page.data.map(row));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    return page.data.length;
  };
  /** After an import: the list from its first page again. */
  const reload = async () => {
    body.replaceChildren();
    cursor = null;
    if (await load() > 0 && empty.isConnected) empty.replaceWith(table);
  };
  more.addEventListener('click', () => load().catch((e) => more.replaceWith(failure(e))));

  function row(c) {
    const linkText = h('span', { class: 'mono' }, c.referral_link);
    // The short link counts the click and sets the cookie from the server, with or without JavaScript.
    const shortText = h('span', { class: 'mono' }, c.short_link);
    const toggle = c.referrals_count > 0
      ? h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-label': `Show the ${c.referrals_count} referrals of ${c.email}` }, String(c.referrals_count))
      : '0';
    const name = [c.name, c.surname].filter(Boolean).join(' ');
    const tr = h('tr', {},
      h('td', {}, h('div', {}, name || c.email), h('div', { class: 'muted' }, name ? `${c.email} · ${c.key}` : c.key)),
      h('td', {}, linkText, ' ', copyButton('Copy link', () => c.referral_link, linkText),
        h('div', { class: 'muted' }, shortText, ' ', copyButton('Copy short link', () => c.short_link, shortText))),
      h('td', {}, c.referred_by ?? '—'),
      h('td', { class: 'num' }, toggle),
      h('td', { class: 'num' }, money(c.pending_balance, program.currency)),
      h('td', { class: 'num' }, money(c.balance, program.currency)),
      h('td', { class: 'num' }, money(c.paid_total, program.currency)),
      h('td', {}, date(c.created_at)));
    if (toggle instanceof Node) toggle.addEventListener('click', () => referrals(c, tr, toggle));
    return tr;
  }

  /** Opens (or closes) a row under the customer listing the customers they referred. */
  async function referrals(c, tr, toggle) {
    if (tr.nextSibling?.dataset?.referralsOf === c.key) {
      tr.nextSibling.remove();
      toggle.setAttribute('aria-expanded', 'false');
      return;
    }
    const cell = h('td', { colspan: 8 }, 'Loading…');
    tr.after(h('tr', { 'data-referrals-of': c.key }, cell));
    toggle.setAttribute('aria-expanded', 'true');
    try {
      const { data } = await api('GET', `${base}/${encodeURIComponent(c.key)}/referrals?limit=250`);
      cell.replaceChildren(h('p', {}, `Referred by ${c.email}:`), h('ul', {}, data.map((r) => h('li', {}, `${r.email} (${r.key}), joined ${date(r.created_at)}, balance ${money(r.balance, program.currency)}`))));
    } catch (e) { cell.replaceChildren(failure(e)); }
  }

  const empty = h('p', {}, 'No customers yet. Install the snippet, create customers with the API (Integration tab) or import them below.');
  const table = h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, COLUMNS.map(([t, title], i) => h('th', { scope: 'col', class: i >= 3 && i <= 6 ? 'num' : null, title }, t)))),
    body));
  const download = h('a', { class: 'button secondary', href: programPath(program.id, '/customers.csv'), download: 'customers.csv' }, 'Download CSV');
  container.replaceChildren(section('customers', 'Customers',
    h('p', { class: 'muted' }, 'Customers arrive through the snippet’s signups, your backend’s API calls and imports. Pending rewards wait for their hold or your review (Rewards tab); the balance is approved and not yet paid: what you owe now.'),
    h('div', { class: 'actions' }, download), table, more),
  importer.render(program, { onImported: reload }));
  if (await load() === 0) table.replaceWith(empty);
}
