// Customers: each with their referral link and short link, who referred them, their referrals and balance.
import { api, listPage, programPath } from '../api.js';
import { h, card, pagedTable, copyButton, money, date, failure, field, onSubmit, announce, attempt, confirmed } from '../dom.js';
import * as importer from './customers/importer.js';
import { deny, linkOr } from '../session.js';

const PAGE = 50;
/** Column headings, with what each amount means as a tooltip. */
const COLUMNS = ['Customer', 'Referral link', 'Referred by', { label: 'Referrals', num: true },
  { label: 'Pending', num: true, title: 'Rewards on hold or waiting for review' }, { label: 'Balance', num: true, title: 'Approved rewards not yet paid: what you owe now' },
  { label: 'Paid', num: true, title: 'Paid out so far' }, 'Joined'];

export async function render(container, program) {
  const base = programPath(program.id, '/customers');

  function row(c) {
    const linkText = h('span', { class: 'mono' }, c.referral_link);
    // The short link counts the click and sets the cookie from the server, with or without JavaScript.
    const shortText = h('span', { class: 'mono' }, c.short_link);
    const toggle = c.referrals_count > 0
      ? h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-label': `Show the ${c.referrals_count} referrals of ${c.email}` }, String(c.referrals_count))
      : '0';
    const name = [c.name, c.surname].filter(Boolean).join(' ');
    const tr = h('tr', {},
      h('td', {}, h('div', {}, name || c.email || c.key), h('div', { class: 'muted' }, name ? `${c.email} · ${c.key}` : c.key), stripeLink(c), privacy(c)),
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

  /** The customer's Stripe customer ID (for Stripe credit, docs/fulfilment.md), and a form to change it. */
  function stripeLink(c) {
    const shown = h('span', { class: 'mono', 'data-stripe-of': c.key }, c.stripe_customer_id ?? 'not linked to Stripe');
    const input = h('input', { type: 'text', name: 'stripe_customer_id', value: c.stripe_customer_id ?? '', placeholder: 'cus_…', autocomplete: 'off', spellcheck: 'false' });
    const form = onSubmit(h('form', { class: 'inline', hidden: true },
      field(`Stripe customer ID of ${c.key}`, input, 'Empty: not linked.'),
      h('button', { type: 'submit' }, 'Save')), async (v) => {
      const id = v.get('stripe_customer_id').trim();
      const saved = await api('PATCH', `${base}/${encodeURIComponent(c.key)}`, { stripe_customer_id: id || null });
      shown.textContent = saved.stripe_customer_id ?? 'not linked to Stripe';
      form.hidden = true;
      announce(`Stripe customer ID of ${c.key} saved.`);
    });
    const edit = deny(h('button', { type: 'button', class: 'link', 'aria-label': `Edit the Stripe customer ID of ${c.key}` }, 'Edit'), 'customers');
    edit.addEventListener('click', () => { form.hidden = !form.hidden; if (!form.hidden) input.focus(); });
    return h('div', { class: 'muted' }, 'Stripe: ', shown, ' ', edit, form);
  }

  /** A GDPR access request (a JSON download) and an erasure, after a confirmation (docs/privacy.md). */
  function privacy(c) {
    const path = `${base}/${encodeURIComponent(c.key)}`;
    const exportButton = deny(h('button', { type: 'button', class: 'link', 'aria-label': `Export the data of ${c.key}` }, 'Export data'), 'exports');
    exportButton.addEventListener('click', attempt(async () => {
      const data = await api('GET', `${path}/export`);
      const a = h('a', { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' })), download: `customer-${c.key}.json` });
      a.click();
      URL.revokeObjectURL(a.href);
      announce(`The data of ${c.key} was downloaded.`);
    }));
    const erase = deny(h('button', { type: 'button', class: 'link danger', 'aria-label': `Erase the personal data of ${c.key}` }, 'Erase'), 'customers');
    erase.addEventListener('click', confirmed(`Erase the personal data of ${c.key}? Their e-mail, name and notes are removed everywhere (MailerLite too); amounts and keys stay. This cannot be undone.`, async () => {
      await api('POST', `${path}/erase`, {});
      announce(`The personal data of ${c.key} was erased.`);
      await table.reload();
    }));
    return h('div', { class: 'muted' }, 'Privacy: ', exportButton, ' · ', erase);
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

  const table = pagedTable({
    head: COLUMNS, row, fetchPage: (cursor) => listPage(base, { limit: PAGE }, cursor), moreLabel: 'Load more customers',
    empty: 'No customers yet. Install the snippet, create customers with the API (Integration tab) or import them below.',
  });
  const download = linkOr('exports', h('a', { class: 'button secondary', href: programPath(program.id, '/customers.csv'), download: 'customers.csv' }, 'Download CSV'));
  container.replaceChildren(card({ id: 'customers', title: 'Customers' },
    h('p', { class: 'muted' }, 'Customers arrive through the snippet’s signups, your backend’s API calls and imports. Pending rewards wait for their hold or your review (Rewards tab); the balance is approved and not yet paid: what you owe now.'),
    h('div', { class: 'actions' }, download), table.el),
  // After an import: the list from its first page again.
  importer.render(program, { onImported: table.reload }));
  await table.reload();
}
