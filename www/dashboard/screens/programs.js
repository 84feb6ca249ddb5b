// Programs: the list, with the way to create one.
import { api } from '../api.js';
import { h, date } from '../dom.js';
import { linkOr } from '../session.js';

export async function render(main) {
  const { data } = await api('GET', '/v1/programs');
  const link = (p, tab, text) => h('a', { href: `#/p/${encodeURIComponent(p.id)}/${tab}` }, text);
  const list = data.length
    ? h('div', { class: 'scroll' }, h('table', {},
      h('caption', { class: 'muted' }, `${data.length} program${data.length === 1 ? '' : 's'}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Program'), h('th', { scope: 'col' }, 'Website'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Go to'))),
      h('tbody', {}, data.map((p) => h('tr', {},
        h('td', {}, link(p, 'settings', p.name)),
        h('td', {}, p.website_url),
        h('td', {}, date(p.created_at)),
        h('td', {}, link(p, 'integration', 'Integration'), ' · ', link(p, 'customers', 'Customers'), ' · ', link(p, 'rewards', 'Rewards'), ' · ', link(p, 'results', 'Results')),
      )))))
    : h('p', {}, 'No programs yet. Create your first Refer-a-Friend program: it takes a name and your website’s address.');
  main.replaceChildren(
    h('div', { class: 'head' }, h('h1', {}, 'Programs'), linkOr('create_program', h('a', { class: 'button', href: '#/new' }, 'Create program'))),
    h('section', { class: 'card', 'aria-label': 'Your programs' }, list),
  );
}
