// Create program: the Refer-a-Friend type, a name and the website URL.
import { api } from '../api.js';
import { h, field, choice, onSubmit, announce } from '../dom.js';
import { go } from '../nav.js';
import { guard } from '../session.js';

export function render(main) {
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 200, autocomplete: 'off' });
  const form = onSubmit(h('form', { class: 'card' },
    h('fieldset', {},
      h('legend', {}, 'Program type'),
      choice('radio', 'type', 'refer-a-friend', 'Refer-a-Friend: reward customers who bring in new customers (and, if you like, the friends too)', true),
    ),
    field('Program name', name),
    field('Website URL', { type: 'url', name: 'website_url', required: true, placeholder: 'https://yourdomain.com/' },
      'Where referral links point. Customers’ links look like https://yourdomain.com/?ref=xxxyyy.'),
    h('div', { class: 'actions' }, guard(h('button', { type: 'submit' }, 'Create'), 'create_program'), h('a', { class: 'button secondary', href: '#/' }, 'Cancel')),
  ), async (values) => {
    const program = await api('POST', '/v1/programs', { name: values.get('name'), website_url: values.get('website_url') });
    announce(`Program “${program.name}” created.`);
    go(`#/p/${encodeURIComponent(program.id)}/settings`);
  });
  main.replaceChildren(h('p', {}, h('a', { href: '#/' }, '← Programs')), h('h1', {}, 'Create program'), form);
  name.focus();
}
