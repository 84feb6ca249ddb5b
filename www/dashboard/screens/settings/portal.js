// Settings → Portal: the hosted portal's address, and who may sign in to it with an
// e-mailed code: customers only (closed), or anyone, who then becomes a referrer (open).
import { h, choice, onSubmit, copyButton } from '../../dom.js';

/** The Portal section; `save(patch)` PATCHes the program. Returns the form, with `refresh()`. */
export function render(program, save) {
  const url = `${location.origin}/portal/${program.public_id}`;
  const link = h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'mono', id: 'portal-url' }, url);
  const warning = h('p', { class: 'notice' });
  const form = h('form', { 'aria-label': 'Portal sign-up' },
    h('p', {}, 'The hosted portal shows a customer their referral link, QR code, rewards and the friends they referred. They sign in with their e-mail address and a six-digit code Edgeref e-mails them; links from your app can sign them in with a portal token instead (Integration → Referral widget).'),
    h('p', {}, 'Portal address: ', link, ' ', copyButton('Copy portal address', () => url, link)),
    warning,
    h('fieldset', { 'aria-describedby': 'portal-signup-hint' }, h('legend', {}, 'Who can sign in'),
      choice('radio', 'signup', 'closed', 'Customers only: an address that is not one of your customers gets no code', program.portal.signup !== 'open'),
      choice('radio', 'signup', 'open', 'Anyone (open sign-up): a new address gets a code too, and signing in makes it a referring customer with its own link', program.portal.signup === 'open'),
      h('p', { class: 'hint', id: 'portal-signup-hint' }, 'Open sign-up lets people join your referral program without an account in your shop: each gets the welcome e-mail and fires customer.created to your webhooks. Throwaway addresses are refused.')),
    h('button', { type: 'submit' }, 'Save portal'));
  form.refresh = () => {
    warning.textContent = program.emails.enabled ? '' : 'E-mails are off (above), so nobody receives a sign-in code: only links with a portal token get in.';
    warning.hidden = program.emails.enabled;
  };
  form.refresh();
  return onSubmit(form, (v) => save({ portal: { signup: v.get('signup') } }));
}
