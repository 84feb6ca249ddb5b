// Rewards: the review queue (approve, reject with a reason, approve in bulk; approved rewards
// Stripe refused to credit: retry or mark as paid), who is owed money now (record a payout)
// and the payouts made.
import { api, listPage, programPath } from '../api.js';
import { h, card, pagedTable, field, onSubmit, announce, attempt, money, toMinor, currencyDigits, date, dateTime } from '../dom.js';
import { deny, linkOr } from '../session.js';

/** Each fraud flag in the owner's words (the API's names: docs/dashboard.md, Rewards). */
const FLAG_WORDS = {
  disposable_email: 'throwaway email provider',
  lookalike_email: 'same address as the referrer, with a +tag or dots',
  same_visitor: 'signed up from the referrer’s own network',
  velocity: 'over the daily limit',
  fulfilment_failed: 'Stripe credit failed',
};

/** Whose reward it is: a referrer's share, a friend's, or a referrer's milestone bonus. */
const KIND_WORDS = { referrer: 'Referrer', friend: 'Friend', milestone: 'Milestone bonus' };

const PAGE = 100;

export async function render(container, program) {
  const payouts = payoutsCard(program);
  const payables = payablesCard(program, () => Promise.all([payables.reload(), payouts.reload()]));
  // An approval changes who is owed what.
  const queue = reviewQueue(program, () => payables.reload());
  const failed = failedCredits(program, () => Promise.all([payables.reload(), payouts.reload()]));
  queue.card.append(failed.el);
  container.replaceChildren(
    h('nav', { 'aria-label': 'Rewards sections' }, h('ul', { class: 'toc' },
      [['review', 'Review queue'], ['payables', 'Payables'], ['payouts', 'Payouts']].map(([id, label]) => h('li', {}, h('a', { href: `#${id}` }, label))))),
    linkOr('exports', h('div', { class: 'actions downloads' },
      [['rewards', 'Download rewards CSV'], ['payouts', 'Download payouts CSV'], ['transactions', 'Download sales CSV']].map(([file, label]) =>
        h('a', { class: 'button secondary', href: programPath(program.id, `/${file}.csv`), download: `${file}.csv` }, label)))),
    queue.card, payables.card, payouts.card);
  await Promise.all([queue.reload(), failed.reload(), payables.reload(), payouts.reload()]);
}

/** Approved rewards flagged `fulfilment_failed`: Stripe's message, Retry credit, Mark as paid (docs/fulfilment.md). */
function failedCredits(program, changed) {
  const base = programPath(program.id);
  const describe = (r) => `reward of ${money(r.amount, r.currency)} for ${r.customer.key}`;
  const done = async (tr, message) => {
    const next = tr.nextElementSibling?.classList.contains('detail') ? tr.nextElementSibling.nextElementSibling : tr.nextElementSibling;
    if (tr.nextElementSibling?.classList.contains('detail')) tr.nextElementSibling.remove();
    tr.remove();
    table.refresh();
    announce(message);
    (next?.querySelector('button') ?? el.querySelector('h3')).focus();
    await changed();
  };
  function row(r) {
    const retry = deny(h('button', { type: 'button', 'aria-label': `Retry the Stripe credit of the ${describe(r)}` }, 'Retry credit'), 'payouts');
    const pay = deny(h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-label': `Mark the ${describe(r)} as paid…` }, 'Mark as paid…'), 'payouts');
    const tr = h('tr', { 'data-reward': r.id },
      h('td', {}, r.customer.key),
      h('td', { class: 'num' }, money(r.amount, r.currency)),
      h('td', { class: 'reason' }, r.reason ?? 'Stripe credit failed'),
      h('td', {}, h('div', { class: 'actions' }, retry, pay)));
    retry.addEventListener('click', attempt(async () => {
      retry.disabled = true;
      let answer;
      try {
        answer = await api('POST', `${base}/integrations/stripe/credits/${encodeURIComponent(r.id)}/retry`);
      } finally {
        retry.disabled = false;
      }
      if (answer.status === 'failed') {
        announce(`Stripe refused the credit again.`, { error: true });
        await reload();
      } else {
        await done(tr, answer.status === 'succeeded' ? `Credited the ${describe(r)} in Stripe: paid.` : `Stripe did not answer; the credit of the ${describe(r)} is retried later.`);
      }
    }));
    pay.addEventListener('click', () => {
      if (tr.nextElementSibling?.classList.contains('detail')) return tr.nextElementSibling.close();
      const reference = h('input', { type: 'text', name: 'reference', maxlength: 200, autocomplete: 'off' });
      const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
      const form = onSubmit(h('form', { 'aria-label': `Mark the ${describe(r)} as paid` },
        field('Reference', reference, 'Your payment’s reference (optional). Records a manual payout of this amount, which pays the customer’s oldest approved rewards that fit.'),
        h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Record payout'), cancel)),
      async (v) => {
        const body = { customer: { key: r.customer.key }, amount: r.amount, note: 'Stripe credit failed: paid by hand' };
        if (v.get('reference').trim()) body.reference = v.get('reference').trim();
        await api('POST', `${base}/payouts`, body);
        await done(tr, `Recorded a payout of ${money(r.amount, r.currency)} to ${r.customer.key}.`);
      });
      openForm(tr, 4, form, { toggle: pay, cancel, focus: reference });
    });
    return tr;
  }
  const table = pagedTable({
    head: ['Customer', { label: 'Amount', num: true }, 'Stripe’s message', 'Decision'], row, label: 'Stripe credit failed',
    fetchPage: (cursor) => listPage(`${base}/rewards`, { limit: PAGE, status: 'approved', flagged: 'true' }, cursor),
    empty: 'No failed Stripe credit.', moreLabel: 'Load more rewards',
  });
  const el = h('div', { id: 'credit-failed', hidden: true },
    h('h3', { tabindex: '-1' }, 'Stripe credit failed'),
    h('p', { class: 'muted' }, 'Approved rewards Stripe refused to credit (Settings → Rewards → Pay referrers). Fix the cause in Stripe or on the customer, then retry; or pay it your way and mark it paid.'),
    table.el);
  const reload = async () => {
    await table.reload();
    el.hidden = table.body.children.length === 0 && program.rewards?.fulfilment?.referrer !== 'stripe_credit';
  };
  return { el, reload };
}

/** A card's heading, which takes the focus when the rows that had it go away. */
const headingOf = (el) => el.querySelector('h2');

/** A detail row under `tr` (a form for it), replacing any other detail row of the same table. */
function openDetail(tr, colspan, content) {
  tr.parentNode.querySelector('tr.detail')?.close();
  const detail = h('tr', { class: 'detail' }, h('td', { colspan }, content));
  tr.after(detail);
  return detail;
}

/** Opens `form` under `tr`, toggled by `toggle`: Cancel or Escape closes it and gives `toggle` the focus back. */
function openForm(tr, colspan, form, { toggle, cancel, focus }) {
  const detail = openDetail(tr, colspan, form);
  detail.close = () => {
    detail.remove();
    toggle.setAttribute('aria-expanded', 'false');
    if (toggle.isConnected) toggle.focus();
  };
  cancel.addEventListener('click', detail.close);
  form.addEventListener('keydown', (e) => { if (e.key === 'Escape') detail.close(); });
  toggle.setAttribute('aria-expanded', 'true');
  focus.focus();
}

function reviewQueue(program, approved) {
  const base = programPath(program.id, '/rewards');
  const show = h('select', { id: 'review-filter' },
    h('option', { value: '' }, 'All pending rewards'),
    h('option', { value: 'true' }, 'Flagged only'),
    h('option', { value: 'false' }, 'Not flagged'));
  const selectAll = deny(h('input', { type: 'checkbox', 'aria-label': 'Select every reward shown' }), 'rewards');
  const bulk = h('button', { type: 'button', disabled: true }, 'Approve selected');
  const describe = (r) => `${r.kind} reward of ${money(r.amount, r.currency)} for ${r.customer.key}`;
  const boxes = () => [...table.body.querySelectorAll('input[type=checkbox]')];

  const syncSelection = () => {
    const all = boxes();
    const chosen = all.filter((b) => b.checked).length;
    selectAll.checked = chosen > 0 && chosen === all.length;
    selectAll.indeterminate = chosen > 0 && chosen < all.length;
    bulk.disabled = chosen === 0;
    bulk.textContent = chosen ? `Approve selected (${chosen})` : 'Approve selected';
  };

  /** A decided reward leaves the queue; focus goes to the next one's Approve button, or the heading. */
  const leave = (tr, message) => {
    const next = tr.nextElementSibling?.classList.contains('detail') ? tr.nextElementSibling.nextElementSibling : tr.nextElementSibling;
    if (tr.nextElementSibling?.classList.contains('detail')) tr.nextElementSibling.remove();
    const hadFocus = tr.contains(document.activeElement) || document.activeElement === document.body;
    tr.remove();
    table.refresh();
    syncSelection();
    if (message) announce(message);
    if (hadFocus) (next?.querySelector('button') ?? headingOf(el)).focus();
  };

  function row(r) {
    const box = deny(h('input', { type: 'checkbox', value: r.id, 'aria-label': `Select the ${describe(r)}` }), 'rewards');
    box.addEventListener('change', syncSelection);
    const held = Date.parse(r.available_at) > Date.now();
    const approve = deny(h('button', { type: 'button', 'aria-label': `Approve the ${describe(r)}` }, 'Approve'), 'rewards');
    const reject = deny(h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-label': `Reject the ${describe(r)}…` }, 'Reject…'), 'rewards');
    const tr = h('tr', { 'data-reward': r.id },
      h('td', {}, box),
      h('td', {}, r.customer.key),
      h('td', {}, h('div', {}, KIND_WORDS[r.kind] ?? r.kind), h('div', { class: 'muted' }, r.milestone ? `${r.milestone.friends} paying friends` : r.transaction_key ? `sale ${r.transaction_key}` : 'signup')),
      h('td', { class: 'num' }, money(r.amount, r.currency)),
      h('td', {}, r.flags.length ? h('ul', { class: 'flags' }, r.flags.map((f) => h('li', { class: 'flag', title: f }, FLAG_WORDS[f] ?? f))) : h('span', { class: 'muted' }, 'none')),
      h('td', {}, h('div', {}, date(r.created_at)), held ? h('div', { class: 'muted' }, `held until ${date(r.available_at)}`) : null),
      h('td', {}, h('div', { class: 'actions' }, approve, reject)));
    approve.addEventListener('click', attempt(async () => {
      approve.disabled = true;
      try {
        await api('POST', `${base}/${encodeURIComponent(r.id)}/approve`);
      } finally {
        approve.disabled = false;
      }
      leave(tr, `Approved the ${describe(r)}.`);
      await approved();
    }));
    reject.addEventListener('click', () => rejectForm(r, tr, reject));
    return tr;
  }

  function rejectForm(r, tr, toggle) {
    if (tr.nextElementSibling?.classList.contains('detail')) {
      tr.nextElementSibling.close();
      return;
    }
    const reason = h('input', { type: 'text', name: 'reason', required: true, maxlength: 500, autocomplete: 'off' });
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const form = onSubmit(h('form', { 'aria-label': `Reject the ${describe(r)}` },
      field('Reason for rejecting', reason, 'Kept with the reward; the API and the reward.rejected webhook show it.'),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'danger' }, 'Reject reward'), cancel)),
    async (v) => {
      await api('POST', `${base}/${encodeURIComponent(r.id)}/reject`, { reason: v.get('reason') });
      leave(tr, `Rejected the ${describe(r)}.`);
    });
    openForm(tr, 7, form, { toggle, cancel, focus: reason });
  }

  const table = pagedTable({
    head: [selectAll, 'Customer', 'Reward', { label: 'Amount', num: true }, 'Flags', 'Earned', 'Decision'], row,
    fetchPage: (cursor) => listPage(base, { limit: PAGE, status: 'pending', ...(show.value ? { flagged: show.value } : {}) }, cursor),
    empty: 'Nothing to review: no reward is pending.', moreLabel: 'Load more rewards',
  });
  const reload = async () => {
    await table.reload();
    syncSelection();
  };

  selectAll.addEventListener('change', () => {
    boxes().forEach((b) => { b.checked = selectAll.checked; });
    syncSelection();
  });
  show.addEventListener('change', reload);
  // One approval per reward, in order; what the API refuses (decided meanwhile) stays selected.
  bulk.addEventListener('click', async () => {
    const chosen = boxes().filter((b) => b.checked);
    bulk.disabled = true;
    let done = 0;
    const refused = [];
    for (const box of chosen) {
      try {
        await api('POST', `${base}/${encodeURIComponent(box.value)}/approve`);
        leave(box.closest('tr'));
        done++;
      } catch (e) {
        refused.push(e.message);
      }
    }
    syncSelection();
    announce(refused.length
      ? `Approved ${done} of ${chosen.length} rewards. Not approved: ${refused.join('; ')}`
      : `Approved ${done} reward${done === 1 ? '' : 's'}.`, { error: refused.length > 0 });
    if (done) await approved().catch(() => {});
  });

  const el = card({ id: 'review', title: 'Review queue' },
    h('p', { class: 'muted' }, 'Pending rewards: in their hold, waiting for your approval (manual approval in Settings → Rewards), or flagged as possible fraud. Approving puts a reward on the customer’s balance; rejecting drops it, with your reason.'),
    h('div', { class: 'head' }, h('div', { class: 'inline' }, h('label', { for: show.id }, 'Show'), show), bulk),
    table.el);
  return { card: el, reload };
}

function payablesCard(program, paid) {
  const base = programPath(program.id);
  const currency = program.currency;
  const digits = currencyDigits(currency);

  function row(p) {
    const c = p.customer;
    const mark = deny(h('button', { type: 'button', 'aria-expanded': 'false', 'aria-label': `Mark as paid… (${money(p.balance, currency)} owed to ${c.key})` }, 'Mark as paid…'), 'payouts');
    const tr = h('tr', {},
      h('td', {}, h('div', {}, c.name || c.email), h('div', { class: 'muted' }, c.name ? `${c.email} · ${c.key}` : c.key)),
      h('td', { class: 'num' }, p.approved_rewards),
      h('td', { class: 'num' }, money(p.balance, currency)),
      h('td', {}, mark));
    mark.addEventListener('click', () => payForm(p, tr, mark));
    return tr;
  }

  function payForm(p, tr, toggle) {
    if (tr.nextElementSibling?.classList.contains('detail')) {
      tr.nextElementSibling.close();
      return;
    }
    const amount = h('input', { type: 'number', name: 'amount', required: true, min: 10 ** -digits, step: 10 ** -digits, max: (p.balance / 10 ** digits).toFixed(digits), value: (p.balance / 10 ** digits).toFixed(digits) });
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const form = onSubmit(h('form', { 'aria-label': `Payout to ${p.customer.key}` },
      field(`Amount (${currency})`, amount, `Up to the balance, ${money(p.balance, currency)}. Less pays the oldest approved rewards that fit in whole.`),
      field('Reference', { name: 'reference', maxlength: 200, autocomplete: 'off' }, 'Your payment’s reference, e.g. the bank transfer or PayPal transaction ID.'),
      field('Note', { name: 'note', maxlength: 500, autocomplete: 'off' }, 'Anything to remember about it (optional).'),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Record payout'), cancel)),
    async (v) => {
      const body = { customer: { key: p.customer.key }, amount: toMinor(v.get('amount'), currency) };
      for (const name of ['reference', 'note']) if (v.get(name).trim()) body[name] = v.get(name).trim();
      const payout = await api('POST', `${base}/payouts`, body);
      announce(`Recorded a payout of ${money(payout.amount, payout.currency)} to ${p.customer.key}.`);
      headingOf(el).focus();
      await paid();
    });
    openForm(tr, 4, form, { toggle, cancel, focus: amount });
  }

  const table = pagedTable({
    head: ['Customer', { label: 'Approved rewards', num: true }, { label: 'Balance', num: true }, 'Payout'], row,
    fetchPage: (cursor) => listPage(`${base}/payables`, { limit: PAGE }, cursor),
    empty: 'Nobody is owed money right now.', moreLabel: 'Load more customers',
  });
  const el = card({ id: 'payables', title: 'Payables' },
    h('p', { class: 'muted' }, 'Customers with approved rewards not paid yet. Pay them your way (bank transfer, PayPal, store credit), then record it here: the balance goes down and the rewards it covers are marked paid.'),
    table.el);
  return { card: el, reload: table.reload };
}

function payoutsCard(program) {
  const base = programPath(program.id, '/payouts');
  const row = (p) => h('tr', {},
    h('td', {}, dateTime(p.created_at)),
    h('td', {}, p.customer.key),
    h('td', { class: 'num' }, money(p.amount, p.currency)),
    h('td', {}, p.method === 'stripe_credit' ? 'Stripe credit' : 'Manual'),
    h('td', {}, p.reference ?? '—'),
    h('td', {}, p.note ?? '—'),
    h('td', { class: 'num' }, p.reward_ids.length));
  const table = pagedTable({
    head: ['Paid', 'Customer', { label: 'Amount', num: true }, 'Method', 'Reference', 'Note', { label: 'Rewards', num: true }], row,
    fetchPage: (cursor) => listPage(base, { limit: PAGE }, cursor), empty: 'No payouts yet.', moreLabel: 'Load more payouts',
  });
  return { card: card({ id: 'payouts', title: 'Payouts' }, h('p', { class: 'muted' }, 'Every payout recorded, oldest first.'), table.el), reload: table.reload };
}
