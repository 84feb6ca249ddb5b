// Team: people with their role and program limit, open invitations, inviting someone,
// and your sessions. Controls the signed-in role cannot use are disabled with the reason;
// the server decides regardless. Signed in with the admin token on an empty team, it
// offers to invite the first owner.
import { api } from '../api.js';
import { h, card, field, onSubmit, announce, confirmed, attempt, dateTime, failure } from '../dom.js';
import { guard, session } from '../session.js';

const ROLES = ['owner', 'admin', 'member', 'billing', 'viewer'];

export async function render(main) {
  const people = h('div');
  const sessions = h('div');
  main.replaceChildren(h('h1', {}, 'Team'), people, card({ id: 'sessions', title: 'Sessions' }, sessions));
  const programs = (await api('GET', '/v1/programs')).data;
  const refresh = async () => {
    const team = await api('GET', '/v1/team');
    people.replaceChildren(
      card({ id: 'people', title: 'People' }, peopleTable(team.data, programs, refresh)),
      card({ id: 'invitations', title: 'Invitations' }, invitations(team, programs, refresh)),
    );
    await showSessions(sessions, refresh);
  };
  await refresh().catch((e) => { people.replaceChildren(failure(e)); throw e; });
}

const limitText = (ids, programs) => (ids ? ids.map((id) => programs.find((p) => p.id === id)?.name ?? id).join(', ') : 'All programs');

function peopleTable(users, programs, refresh) {
  if (!users.length) return h('p', { class: 'muted' }, 'No one signs in by e-mail yet: invite the first owner below.');
  return h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, ['E-mail', 'Role', 'Programs', 'Last sign-in', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, users.map((u) => {
      const role = h('select', { 'aria-label': `Role of ${u.email}` }, ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r)));
      role.addEventListener('change', attempt(async () => {
        try {
          await api('PATCH', `/v1/team/users/${encodeURIComponent(u.id)}`, { role: role.value });
          announce(`${u.email} is now ${role.value}.`);
        } finally {
          await refresh();
        }
      }));
      const remove = h('button', {
        type: 'button', class: 'secondary', 'aria-label': `Remove ${u.email}`,
        onclick: confirmed(`Remove ${u.email} from the team? Their sessions end at once.`, async () => {
          await api('DELETE', `/v1/team/users/${encodeURIComponent(u.id)}`);
          announce(`${u.email} removed.`);
          await refresh();
        }),
      }, 'Remove');
      return h('tr', {}, h('td', {}, u.email), h('td', {}, guard(role, 'team')), h('td', {}, limitText(u.programs, programs)), h('td', {}, dateTime(u.last_sign_in_at)),
        h('td', {}, guard(remove, 'team')));
    }))));
}

function invitations(team, programs, refresh) {
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'off' });
  const first = !team.data.length && !session()?.user;
  const role = h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r, selected: r === (first ? 'owner' : 'viewer') }, r)));
  const limits = h('fieldset', {}, h('legend', {}, 'Programs (none ticked: every program)'),
    programs.map((p) => h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'programs', value: p.id }), ' ', p.name)));
  const invite = h('button', { type: 'submit' }, 'Invite');
  const form = onSubmit(h('form', {},
    first ? h('p', {}, 'You are signed in with the admin token. Invite the first owner: they sign in with a code sent to their e-mail.') : null,
    field('E-mail', email), field('Role', role), limits,
    h('div', { class: 'actions' }, guard(invite, 'team')),
  ), async (v) => {
    const ids = v.getAll('programs');
    const sent = await api('POST', '/v1/team/invitations', { email: v.get('email'), role: v.get('role'), programs: ids.length ? ids : null });
    announce(`Invitation sent to ${sent.email}.`);
    await refresh();
  });
  const open = team.invitations.length
    ? h('ul', {}, team.invitations.map((i) => h('li', {}, `${i.email} as ${i.role} (${limitText(i.programs, programs)}), until ${dateTime(i.expires_at)} `,
      guard(h('button', {
        type: 'button', class: 'secondary', 'aria-label': `Revoke the invitation of ${i.email}`,
        onclick: confirmed(`Revoke the invitation of ${i.email}?`, async () => {
          await api('DELETE', `/v1/team/invitations/${encodeURIComponent(i.id)}`);
          await refresh();
        }),
      }, 'Revoke'), 'team'))))
    : h('p', { class: 'muted' }, 'No open invitations.');
  return [open, form];
}

async function showSessions(container, refresh) {
  const { data } = await api('GET', '/auth/sessions');
  container.replaceChildren(data.length
    ? h('ul', {}, data.map((s) => h('li', {}, `${s.email}: since ${dateTime(s.created_at)}${s.current ? ' (this one)' : ''} `,
      s.current ? null : h('button', {
        type: 'button', class: 'secondary', 'aria-label': `Sign out the session of ${s.email} from ${dateTime(s.created_at)}`,
        onclick: attempt(async () => { await api('DELETE', `/auth/sessions/${encodeURIComponent(s.id)}`); await refresh(); }),
      }, 'Sign out'))))
    : h('p', { class: 'muted' }, 'Signed in with the admin token: no personal sessions to list.'));
}
