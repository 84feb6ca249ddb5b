// Integration: the universal snippet, API keys, the referral widget, webhooks, third-party integrations.
import { api, programPath } from '../api.js';
import { h, card, field, onSubmit, announce, copyButton, confirmed, shownOnce, date, failure } from '../dom.js';
import * as webhooks from './integration/webhooks.js';
import * as thirdParty from './integration/thirdparty.js';
import * as widget from './integration/widget.js';
import { deny, guard } from '../session.js';

/** An API key's scopes (docs/team.md); a new key has them all unless some are unticked. */
const SCOPES = ['customers:read', 'customers:write', 'transactions:read', 'transactions:write', 'rewards:read', 'rewards:write', 'payouts:write',
  'exports:read', 'portal_tokens:write', 'webhooks:read', 'webhooks:write'];

export async function render(container, program) {
  const keys = h('div');
  const hooks = h('div');
  const others = h('div');
  container.replaceChildren(
    card({ id: 'snippet', title: 'Universal tracking snippet' }, snippet(program)),
    card({ id: 'api-keys', title: 'API integration' }, keys),
    card({ id: 'widget', title: 'Referral widget' }, widget.render(program)),
    card({ id: 'webhooks', title: 'Webhooks' }, hooks),
    card({ id: 'third-party', title: 'Third-party integrations' }, others),
  );
  await Promise.all([
    apiKeys(keys, program),
    webhooks.render(hooks, program),
    thirdParty.render(others, program),
  ].map((p) => p.catch((e) => { if (e.status === 401) throw e; })));
}

function snippet(program) {
  const code = h('code', { id: 'snippet-code' }, program.snippet);
  return [
    h('p', {}, 'It tracks referred visits and signups on your site and credits them to the right customer.'),
    h('ol', {},
      h('li', {}, 'Copy the snippet.'),
      h('li', {}, 'Paste it into your website’s HTML just before the closing ', h('code', {}, '</head>'), ' tag, on every page.'),
      h('li', {}, 'When a visitor signs up, call ', h('code', {}, "edgeref('signup', {key, email, name})"), ', or create the customer from your backend with the API.')),
    h('pre', {}, code),
    copyButton('Copy snippet', () => program.snippet, code),
  ];
}

async function apiKeys(container, program) {
  const path = programPath(program.id, '/api-keys');
  const list = h('div');
  const reveal = h('div', { 'aria-live': 'polite' });
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100, autocomplete: 'off' });
  const scopes = h('fieldset', { class: 'scopes' }, h('legend', {}, 'Scopes: what the key may do'),
    SCOPES.map((s) => h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'scopes', value: s, checked: true }), ' ', s)));
  const form = onSubmit(h('form', {},
    h('div', { class: 'inline' }, field('Key name', name, 'e.g. “backend”: what will use it.'), guard(h('button', { type: 'submit' }, 'Create API key'), 'api_keys')),
    scopes,
  ), async (v) => {
    const key = await api('POST', path, { name: v.get('name'), scopes: v.getAll('scopes') });
    form.reset();
    reveal.dataset.keyId = key.id;
    reveal.replaceChildren(shownOnce('new-api-key', `API key “${key.name}”: copy it now.`, 'It is shown only this once; Edgeref keeps only its hash.', key.key, 'Copy API key'));
    await refresh();
  });
  const refresh = async () => {
    const { data } = await api('GET', path);
    list.replaceChildren(data.length
      ? h('div', { class: 'scroll' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Name', 'Key', 'Scopes', 'Created', 'Last used', 'Expires', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, data.map((k) => h('tr', {},
          h('td', {}, k.name), h('td', { class: 'mono' }, `${k.prefix}…`), h('td', {}, k.scopes.length === SCOPES.length ? 'all' : k.scopes.join(', ')),
          h('td', {}, date(k.created_at)), h('td', {}, date(k.last_used_at)), h('td', {}, k.expires_at ? date(k.expires_at) : 'never'),
          h('td', {}, deny(h('button', {
            type: 'button', class: 'secondary', 'aria-label': `Revoke API key ${k.name}`,
            onclick: confirmed(`Revoke the API key “${k.name}”? Anything using it stops working at once.`, async () => {
              await api('DELETE', `${path}/${encodeURIComponent(k.id)}`);
              if (reveal.dataset.keyId === k.id) reveal.replaceChildren();
              announce(`API key “${k.name}” revoked.`);
              await refresh();
            }),
          }, 'Revoke'), 'api_keys')))))))
      : h('p', { class: 'muted' }, 'No API keys yet.'));
  };
  container.replaceChildren(
    h('p', {}, 'Your backend uses an API key to create referring and referred customers, read customer data to show in your app, and record transactions. See docs/api.md for the REST API with examples.'),
    form, reveal, list);
  await refresh().catch((e) => { list.replaceChildren(failure(e)); throw e; });
}
