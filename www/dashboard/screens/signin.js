// Sign in: the admin token is exchanged for an HttpOnly session cookie.
import { api } from '../api.js';
import { h, field, onSubmit } from '../dom.js';

const REASONS = {
  expired: 'Your session has ended. Sign in again to continue.',
  'signed-out': 'You are signed out.',
};

export function render(main, reason, signedIn) {
  const token = h('input', { type: 'password', name: 'token', required: true, autocomplete: 'current-password', spellcheck: 'false' });
  const form = onSubmit(h('form', { class: 'card', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    REASONS[reason] ? h('p', { role: 'status' }, REASONS[reason]) : null,
    field('Admin token', token, 'The ADMIN_TOKEN of this Edgeref: printed by make dev, or set with wrangler secret put ADMIN_TOKEN.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')),
  ), async (values) => {
    await api('POST', '/auth/login', { token: values.get('token') });
    await signedIn();
  });
  main.replaceChildren(form);
  token.focus();
}
