// Sign in: a team member by a code sent to their e-mail, or the admin token (break-glass);
// either is exchanged for an HttpOnly session cookie.
import { api } from '../api.js';
import { h, field, onSubmit, announce } from '../dom.js';

const REASONS = {
  expired: 'Your session has ended. Sign in again to continue.',
  'signed-out': 'You are signed out.',
};

/** The address an invitation link carries (`#email=…`). */
function invitedAddress() {
  const m = location.hash.match(/^#email=([^&]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

export function render(main, reason, signedIn) {
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'email', value: invitedAddress() });
  const code = h('input', { type: 'text', name: 'code', inputmode: 'numeric', pattern: '[0-9 ]{6,7}', autocomplete: 'one-time-code', required: true });
  const byEmail = onSubmit(h('form', { class: 'card', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    REASONS[reason] ? h('p', { role: 'status' }, REASONS[reason]) : null,
    field('E-mail', email, 'Team members get a sign-in code by e-mail.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Send code')),
  ), async (values) => {
    await api('POST', '/auth/code', { email: values.get('email') });
    byCode.hidden = false;
    announce('If that address is on the team, a code is on its way.');
    code.focus();
  });
  const byCode = onSubmit(h('form', { class: 'card', hidden: true, 'aria-label': 'Sign-in code' },
    field('Code', code, 'The six digits we sent you; they work for 10 minutes.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Continue')),
  ), async (values) => {
    await api('POST', '/auth/login', { email: email.value, code: values.get('code').replace(/\s/g, '') });
    if (location.hash.startsWith('#email=')) history.replaceState(null, '', '#/');
    await signedIn();
  });
  const token = h('input', { type: 'password', name: 'token', required: true, autocomplete: 'current-password', spellcheck: 'false' });
  const byToken = onSubmit(h('form', { class: 'card', 'aria-labelledby': 'token-title' },
    h('h2', { id: 'token-title' }, 'Break-glass sign-in'),
    field('Admin token', token, 'The ADMIN_TOKEN of this Edgeref: printed by make dev, or set with wrangler secret put ADMIN_TOKEN. For setup and recovery.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')),
  ), async (values) => {
    await api('POST', '/auth/login', { token: values.get('token') });
    await signedIn();
  });
  main.replaceChildren(byEmail, byCode, byToken);
  (invitedAddress() ? email : token).focus();
}
