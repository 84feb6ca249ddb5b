// Settings → E-mails: the sender (on/off, from, reply-to) and the seven messages Edgeref
// sends referrers and their friends, each with its subject and body (plain-text templates
// with {{placeholders}}), a preview rendered by the Worker with sample data, a reset to
// the default and a test sent to the owner (docs/emails.md).
import { api, programPath } from '../../api.js';
import { h, field, fieldError, choice, onSubmit, announce } from '../../dom.js';

/** The messages, in the order a referrer meets them: [name, title, sent when…]. */
export const MESSAGES = [
  ['referrer_welcome', 'Welcome, referrer', 'Sent to a new customer nobody referred: their referral link.'],
  ['friend_joined', 'A friend joined', 'Sent to the referrer when a friend they referred becomes a customer.'],
  ['reward_approved', 'Reward approved', 'Sent to a customer when one of their rewards is approved (and is more than zero).'],
  ['payout_sent', 'Payout sent', 'Sent to a customer when you record a payout to them.'],
  ['friend_welcome', 'Welcome, friend', 'Sent to a referred customer when they sign up: their reward or coupon and their own link.'],
  ['friend_invite', 'Invitation', 'Sent to an address a referrer invites from the widget or the portal.'],
  ['sign_in_code', 'Portal sign-in code', 'Sent when someone asks to sign in to the hosted portal: six digits and a one-click link. It reaches unsubscribed addresses too.'],
];

/** The last address a test went to: offered again for the next one. */
let testAddress = '';

const emptyToNull = (s) => (s.trim() === '' ? null : s.trim());
const badge = (on) => h('span', { class: `badge ${on ? 'on' : 'off'}` }, on ? 'on' : 'off');

/**
 * The E-mails section; `save(patch)` PATCHes the program (and updates `program`).
 * Returns the nodes, with `refresh()` for the status shown after any save.
 */
export function render(program, save) {
  const status = h('span', {});
  const messages = MESSAGES.map(([name, title, when]) => message(program, save, name, title, when));
  const el = h('div', {},
    h('p', {}, 'Edgeref e-mails your referrers and their friends itself: their link when they join, when a friend joins, when a reward is approved or paid, invitations and portal sign-in codes. Each message ends with your program’s name and an unsubscribe link.'),
    h('p', {}, 'E-mails: ', status),
    sender(program, save),
    h('h3', {}, 'Messages'),
    h('p', { class: 'hint' }, 'Plain text: placeholders in double braces, like {{name}}, are filled in for each recipient. The HTML version is made from the same text, links included. A message you switch off is not sent.'),
    messages);
  el.refresh = () => {
    status.replaceChildren(badge(program.emails.enabled), ' ', program.emails.enabled
      ? `sent from ${program.emails.from_address}`
      : 'off: this program sends no e-mail until you give it a sender and switch them on.');
    messages.forEach((m) => m.refresh());
  };
  el.refresh();
  return el;
}

/** The sender form: on/off, from address and name, reply-to. Sends only what changed. */
function sender(program, save) {
  const e = program.emails;
  const enabled = h('input', { type: 'checkbox', name: 'enabled', value: 'true', checked: e.enabled, 'data-field': 'emails.enabled' });
  const form = h('form', { 'aria-label': 'E-mail sender' },
    h('label', { class: 'choice' }, enabled, ' Send e-mails from this program'),
    fieldError(field('From address', { type: 'email', name: 'from_address', maxlength: 254, value: e.from_address ?? '', autocomplete: 'off', 'data-field': 'emails.from_address', placeholder: 'rewards@yourshop.example' },
      'The sender your referrers see. Your e-mail provider must accept it (a verified domain).')),
    fieldError(field('From name', { name: 'from_name', maxlength: 100, value: e.from_name ?? '', autocomplete: 'off', 'data-field': 'emails.from_name' },
      'Shown beside the address, e.g. your shop’s name. Empty: the address alone.')),
    fieldError(field('Reply-to address', { type: 'email', name: 'reply_to', maxlength: 254, value: e.reply_to ?? '', autocomplete: 'off', 'data-field': 'emails.reply_to' },
      'Where replies go. Empty: to the sender address.')),
    h('button', { type: 'submit' }, 'Save e-mail settings'));
  return onSubmit(form, async (v) => {
    const now = program.emails;
    const wanted = { enabled: v.get('enabled') === 'true', from_address: emptyToNull(v.get('from_address')), from_name: emptyToNull(v.get('from_name')), reply_to: emptyToNull(v.get('reply_to')) };
    const patch = Object.fromEntries(Object.entries(wanted).filter(([k, value]) => value !== (now[k] ?? null)));
    if (Object.keys(patch).length === 0) { announce('Nothing to save: no change.'); return; }
    try {
      await save({ emails: patch });
    } catch (err) {
      // E-mails cannot go on without a sender: the API names `emails.enabled`; the fix is the address.
      if (err.field === 'emails.enabled' && !wanted.from_address) err.field = 'emails.from_address';
      throw err;
    }
  });
}

/** One message: on/off, subject, body, its placeholders; save, preview, reset, and a test. */
function message(program, save, name, title, when) {
  const path = `emails.messages.${name}`;
  const current = () => program.emails.messages[name];
  const state = h('span', {});
  const enabled = h('input', { type: 'checkbox', name: 'enabled', value: 'true', 'data-field': `${path}.enabled` });
  const subject = h('input', { type: 'text', name: 'subject', maxlength: 200, required: true, autocomplete: 'off', 'data-field': `${path}.subject` });
  const body = h('textarea', { name: 'body', rows: 9, maxlength: 5000, required: true, 'data-field': `${path}.body` });
  let target = body; // where a placeholder goes: the field last typed in
  [subject, body].forEach((el) => el.addEventListener('focus', () => { target = el; }));
  const insert = (text) => {
    target.setRangeText(text, target.selectionStart, target.selectionEnd, 'end');
    target.focus();
  };
  const placeholders = h('p', { class: 'placeholders' }, 'Placeholders (click to insert): ',
    current().placeholders.map((p) => h('button', { type: 'button', class: 'chip', onclick: () => insert(`{{${p}}}`) }, `{{${p}}}`)));
  const shown = h('div', { class: 'email-preview', 'aria-live': 'polite' });
  const sync = () => {
    const m = current();
    enabled.checked = m.enabled;
    subject.value = m.subject;
    body.value = m.body;
    state.replaceChildren(badge(m.enabled && program.emails.enabled));
  };
  const form = onSubmit(h('form', { 'aria-label': `${title}: template` },
    h('label', { class: 'choice' }, enabled, ' Send this message'),
    fieldError(field('Subject', subject)),
    fieldError(field('Body', body)),
    placeholders,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', name: 'do', value: 'save' }, 'Save message'),
      h('button', { type: 'submit', name: 'do', value: 'preview', class: 'secondary' }, 'Preview'),
      h('button', { type: 'submit', name: 'do', value: 'reset', class: 'secondary', formnovalidate: true }, 'Reset to default'))),
  async (v) => {
    switch (v.get('do')) {
      case 'preview': {
        const r = await api('POST', programPath(program.id, '/emails/preview'), { message: name, subject: subject.value, body: body.value });
        shown.replaceChildren(preview(title, r));
        return;
      }
      case 'reset':
        if (!confirm(`Put the subject and body of “${title}” back to Edgeref’s default? Your text for them is lost.`)) return;
        await save({ emails: { messages: { [name]: { subject: null, body: null } } } });
        sync();
        announce(`“${title}” is back to the default.`);
        return;
      default: {
        const m = current();
        const patch = {};
        if (enabled.checked !== m.enabled) patch.enabled = enabled.checked;
        if (subject.value !== m.subject) patch.subject = subject.value;
        if (body.value !== m.body) patch.body = body.value;
        if (Object.keys(patch).length === 0) { announce('Nothing to save: no change.'); return; }
        await save({ emails: { messages: { [name]: patch } } });
        sync();
      }
    }
  });
  const panel = h('details', { class: 'message', id: `email-${name}` },
    h('summary', {}, h('strong', {}, title), ' ', state, h('span', { class: 'muted' }, ' — ', when)),
    form, shown, testForm(program, name, title));
  panel.refresh = () => state.replaceChildren(badge(current().enabled && program.emails.enabled));
  sync();
  return panel;
}

/** The rendered preview: the subject, the HTML part in a sandboxed frame (no script, no navigation), the text part. */
function preview(title, r) {
  return h('div', {},
    h('h4', {}, 'Preview with sample data'),
    h('p', {}, h('strong', {}, 'Subject: '), h('span', { class: 'preview-subject' }, r.subject)),
    h('div', { class: 'preview-parts' },
      h('div', {}, h('h5', {}, 'HTML'),
        // sandbox="" : the message's HTML gets an opaque origin, runs no script, submits and opens nothing.
        h('iframe', { sandbox: '', srcdoc: r.html, title: `HTML of the “${title}” preview`, class: 'email-frame' })),
      h('div', {}, h('h5', {}, 'Plain text'), h('pre', { class: 'preview-text' }, r.text))));
}

/** “Send me a test”: the saved message with sample data, to the owner's address, through the outbox. */
function testForm(program, name, title) {
  const to = h('input', { type: 'email', name: 'to', required: true, maxlength: 254, autocomplete: 'email', 'data-field': 'to', value: testAddress || program.emails.reply_to || program.emails.from_address || '' });
  const result = h('p', { class: 'muted', 'aria-live': 'polite' });
  return onSubmit(h('form', { class: 'inline test-send', 'aria-label': `${title}: send a test` },
    fieldError(field('Send a test to', to, 'The saved message, with sample data, even while e-mails are off.')),
    h('button', { type: 'submit', class: 'secondary' }, 'Send me a test'),
    result),
  async (v) => {
    testAddress = v.get('to').trim();
    result.textContent = '';
    await api('POST', programPath(program.id, '/emails/test'), { message: name, to: testAddress });
    result.replaceChildren(`Queued: “${title}” to ${testAddress}. `,
      h('a', { href: `#/p/${encodeURIComponent(program.id)}/emails` }, 'Follow it in the e-mail log'), '.');
    announce(`Test of “${title}” queued.`);
  });
}
