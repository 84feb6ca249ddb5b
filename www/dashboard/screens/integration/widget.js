// Integration → Referral widget: the two steps (the merchant's server mints a portal token,
// the page calls `edgeref('widget', …)`), each with a copy button, and a live preview for
// a customer the owner picks: a token minted through the owner route, shown in the hosted
// portal (the same widget, on this origin) in a frame.
import { api, programPath } from '../../api.js';
import { h, field, onSubmit, copyButton, announce } from '../../dom.js';
import { guard } from '../../session.js';

function steps(program) {
  const mint = `curl -s -X POST ${location.origin}/v1/customers/CUSTOMER_KEY/portal-token \\
  -H "Authorization: Bearer $EDGEREF_API_KEY" -H 'Content-Type: application/json' \\
  -d '{"ttl_seconds": 3600}'`;
  const embed = `<div id="referral"></div>
<script>edgeref('widget', {token: 'TOKEN_FROM_YOUR_SERVER', target: '#referral'})</script>`;
  const mintCode = h('code', { id: 'widget-mint-code' }, mint);
  const embedCode = h('code', { id: 'widget-embed-code' }, embed);
  return [
    h('p', {}, 'Show each signed-in customer their referral link, a QR code, share buttons, their rewards and the friends they referred, inside your app.'),
    h('ol', {},
      h('li', {}, 'On your server, mint a short-lived portal token for the signed-in customer (with an API key; never in the browser):',
        h('pre', {}, mintCode), copyButton('Copy token request', () => mint, mintCode)),
      h('li', {}, 'On the page (which already has the tracking snippet), hand the token to the widget:',
        h('pre', {}, embedCode), copyButton('Copy widget code', () => embed, embedCode))),
    h('p', { class: 'hint' }, `The answer’s portal_url is the same widget as a hosted page (${location.origin}/portal/${program.public_id}?token=…), for links in your emails. See docs/widget.md for Node and Python.`),
  ];
}

function preview(program) {
  const frame = h('div', { id: 'widget-preview', 'aria-live': 'polite' });
  const key = h('input', { type: 'text', name: 'key', required: true, maxlength: 200, autocomplete: 'off' });
  const form = onSubmit(h('form', { class: 'inline' },
    field('Customer key', key, 'Preview the widget as this customer sees it.'),
    // A preview mints a portal token for the customer: a customer change.
    guard(h('button', { type: 'submit' }, 'Preview widget'), 'customers'),
  ), async (v) => {
    const customer = v.get('key');
    const minted = await api('POST', programPath(program.id, `/customers/${encodeURIComponent(customer)}/portal-token`), { ttl_seconds: 600 });
    frame.replaceChildren(
      h('iframe', { src: minted.portal_url, title: `Referral widget preview for ${customer}`, class: 'widget-preview', loading: 'lazy' }),
      h('p', {}, h('a', { href: minted.portal_url, target: '_blank', rel: 'noopener noreferrer' }, 'Open the hosted portal'), ' (the link works for 10 minutes).'));
    announce(`Previewing the widget for ${customer}.`);
  });
  return [form, frame];
}

export function render(program) {
  return [...steps(program), h('h3', {}, 'Live preview'), ...preview(program)];
}
