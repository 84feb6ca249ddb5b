// E-mails: the delivery log of every message this program sent (or tried to), newest
// first, with Resend; and the addresses that get none (suppressions/ panel). The
// messages themselves are set in Settings → E-mails (docs/emails.md).
import { api, listPage, programPath } from '../api.js';
import { h, card, pagedTable, attempt, announce, dateTime } from '../dom.js';
import * as suppressions from './emails/suppressions.js';
import { deny } from '../session.js';

const PAGE = 50;
/** Message names as the owner reads them (Settings → E-mails has the same titles). */
export const TITLES = {
  referrer_welcome: 'Welcome, referrer', friend_joined: 'A friend joined', reward_approved: 'Reward approved', payout_sent: 'Payout sent',
  friend_welcome: 'Welcome, friend', friend_invite: 'Invitation', sign_in_code: 'Portal sign-in code',
};
/** A delivery's outcome is known (no retry to wait for). */
const settled = (status) => ['succeeded', 'sent', 'delivered', 'failed', 'suppressed', 'skipped'].includes(status);
const statusClass = (status) => (['succeeded', 'sent', 'delivered'].includes(status) ? 'on' : status === 'failed' ? 'off' : '');

/** The provider's last answer: its HTTP code and what it said (or the error on the way), shortened. */
function answer(d) {
  const said = (d.error ?? d.note ?? '').trim();
  if (d.last_code == null && !said) return '—';
  const short = said.length > 120 ? `${said.slice(0, 119)}…` : said;
  return h('span', { title: said || null }, [d.last_code, short].filter((x) => x != null && x !== '').join(': '));
}

export async function render(container, program) {
  const base = programPath(program.id, '/emails');
  let pages = 0; // pages shown since the first: the log is re-read by itself only while it shows one

  const row = (d) => h('tr', { 'data-status': d.status },
    h('td', {}, TITLES[d.message] ?? d.message, h('div', { class: 'muted mono' }, d.message)),
    h('td', { class: 'mono' }, d.to),
    h('td', {}, h('span', { class: `badge ${statusClass(d.status)}` }, d.status)),
    h('td', { class: 'num' }, d.attempts),
    h('td', {}, answer(d)),
    h('td', {}, h('time', { datetime: d.updated_at ?? d.created_at }, dateTime(d.updated_at ?? d.created_at))),
    h('td', {}, deny(h('button', {
      type: 'button', class: 'secondary', 'aria-label': `Resend ${TITLES[d.message] ?? d.message} to ${d.to}`,
      onclick: attempt(async () => {
        await api('POST', `${base}/${encodeURIComponent(d.id)}/resend`);
        announce(`Sending again to ${d.to}.`);
        await show();
      }),
    }, 'Resend'), 'update_program')));
  const table = pagedTable({
    head: ['Message', 'To', 'Status', { label: 'Attempts', num: true }, 'Last answer', 'Time', ''], row, label: 'E-mail deliveries',
    fetchPage: (cursor) => { pages = cursor ? pages + 1 : 1; return listPage(base, { limit: PAGE }, cursor); },
    empty: 'No e-mails yet. They appear here once e-mails are on and something happens: a signup, a friend joining, a reward approved, a test you send.',
    moreLabel: 'Load older e-mails',
  });

  // Deliveries happen after the answer that caused them: while the newest page shows one
  // still waiting, read it again gently (a minute at most, and only while it is on screen).
  let timer = null;
  let polls = 0;
  const watch = () => {
    clearTimeout(timer);
    const waiting = [...table.body.children].some((tr) => !settled(tr.dataset.status));
    if (!waiting || pages !== 1 || polls >= 30 || !table.el.isConnected) return;
    polls++;
    timer = setTimeout(() => { if (table.el.isConnected && pages === 1) show(); }, 2000);
  };
  async function show() {
    await table.reload();
    watch();
  }

  const off = program.emails?.enabled ? null : h('p', { class: 'notice', id: 'emails-off' },
    'E-mails are off for this program: nobody hears from it. Give it a sender and switch them on in ',
    h('a', { href: `#/p/${encodeURIComponent(program.id)}/settings/emails` }, 'Settings → E-mails'), '.');
  const blocked = h('div');
  container.replaceChildren(
    ...(off ? [off] : []),
    card({ id: 'email-log', title: 'E-mail log', aside: h('button', { type: 'button', class: 'secondary', onclick: () => { polls = 0; show(); } }, 'Refresh') },
      h('p', { class: 'muted' }, 'Every e-mail this program sent or tried to send, newest first: to whom, whether your provider took it, and what it answered. Failures on the way (a network error, a busy provider) are retried for about a day; Resend sends one again now.'),
      table.el),
    blocked);
  await Promise.all([show(), suppressions.render(blocked, program)]);
}
