// Audit log: who changed what in this program (admin token, dashboard, an API
// key, or Edgeref's scheduled run), newest first, with the changed fields.
// Secrets never reach this screen: the API shows them as [redacted].
import { api, listPage, programPath } from '../api.js';
import { h, card, pagedTable, field, dateTime } from '../dom.js';

const PAGE = 50;

/** Every action the log records, for the filter (docs/records.md, Audit log). */
const ACTIONS = ['program.created', 'program.updated', 'program.deleted', 'api_key.created', 'api_key.revoked',
  'webhook.created', 'webhook.updated', 'webhook.secret_rotated', 'webhook.deleted',
  'integration.enabled', 'integration.updated', 'integration.deleted',
  'customer.created', 'customer.updated', 'customer.deleted', 'customer.credited', 'customer.imported', 'customer.portal_token_created',
  'transaction.created', 'transaction.deleted', 'reward.approved', 'reward.rejected', 'reward.auto_approved', 'payout.created', 'export.downloaded'];
const TARGETS = ['program', 'api_key', 'webhook', 'integration', 'customer', 'transaction', 'reward', 'reward_batch', 'payout', 'export'];

/** An actor in the owner's words. */
export function actorLabel(actor) {
  switch (actor.type) {
    case 'admin': return 'Admin token';
    case 'session': return 'Dashboard';
    case 'system': return 'Edgeref (scheduled run)';
    case 'person': return actor.email;
    default: return `API key “${actor.name}”`;
  }
}

/** A value of the diff as text: strings as they are, the rest as JSON, nothing as “empty”. */
const shown = (v) => (v === null || v === '' ? 'empty' : typeof v === 'string' ? v : JSON.stringify(v));

/** The changed fields as a list: `name: Ann → Anna`, `email set to …`, `email was …`. */
export function diffList(diff) {
  const fields = Object.entries(diff ?? {});
  if (fields.length === 0) return h('span', { class: 'muted' }, '—');
  return h('ul', { class: 'diff' }, fields.map(([name, change]) => {
    const has = (k) => Object.prototype.hasOwnProperty.call(change, k);
    const text = has('from') && has('to') ? [shown(change.from), ' → ', shown(change.to)]
      : has('to') ? ['set to ', shown(change.to)] : ['was ', shown(change.from)];
    return h('li', {}, h('code', {}, name), ': ', ...text);
  }));
}

export async function render(container, program) {
  const base = programPath(program.id, '/audit-log');
  const [keys, people] = await Promise.all([programPath(program.id, '/api-keys'), '/v1/team'].map((path) => api('GET', path).then((r) => r.data).catch(() => [])));
  const actor = h('select', { name: 'actor' }, h('option', { value: '' }, 'Anyone'),
    h('option', { value: 'admin' }, 'Admin token'), h('option', { value: 'session' }, 'Dashboard'), h('option', { value: 'system' }, 'Edgeref (scheduled run)'),
    people.map((u) => h('option', { value: u.id }, u.email)),
    keys.map((k) => h('option', { value: k.id }, `API key “${k.name}”`)));
  const action = h('select', { name: 'action' }, h('option', { value: '' }, 'Any action'), ACTIONS.map((a) => h('option', { value: a }, a)));
  const targetType = h('select', { name: 'target_type' }, h('option', { value: '' }, 'Anything'), TARGETS.map((t) => h('option', { value: t }, t)));
  const targetId = h('input', { type: 'text', name: 'target_id', placeholder: 'e.g. a customer key' });
  const clear = h('button', { type: 'button', class: 'secondary' }, 'Clear');
  const form = h('form', { class: 'filters', 'aria-label': 'Filter the audit log' },
    field('Who', actor), field('Action', action), field('Changed', targetType), field('Id or key', targetId),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter'), clear));

  const row = (e) => h('tr', {},
    h('td', {}, h('time', { datetime: e.created_at }, dateTime(e.created_at))),
    h('td', {}, actorLabel(e.actor), e.actor.type === 'api_key' ? h('div', { class: 'muted mono' }, e.actor.id) : null),
    h('td', {}, h('code', {}, e.action)),
    h('td', {}, e.target.type, ' ', h('span', { class: 'mono' }, e.target.id)),
    h('td', {}, diffList(e.diff)));
  /** The filters as the API's query (the fields filled in), read for the first page: older pages keep them. */
  let filters = {};
  const fetchPage = (cursor) => {
    if (!cursor) filters = Object.fromEntries([...new FormData(form)].filter(([, v]) => v.trim() !== '').map(([k, v]) => [k, v.trim()]));
    return listPage(base, { limit: PAGE, ...filters }, cursor);
  };
  const table = pagedTable({
    head: ['When', 'Who', 'Action', 'Changed', 'Fields'], row, fetchPage, label: 'Audit log entries',
    empty: 'No changes match.', moreLabel: 'Load older changes',
  });
  form.addEventListener('submit', (e) => { e.preventDefault(); table.reload(); });
  clear.addEventListener('click', () => { form.reset(); table.reload(); });

  container.replaceChildren(card({ id: 'audit', title: 'Audit log' },
    h('p', { class: 'muted' }, 'Every change to this program made with the admin token, this dashboard or an API key: who, what, and which fields changed. Secrets show as [redacted]. Entries are kept 400 days.'),
    form, table.el));
  await table.reload();
}
