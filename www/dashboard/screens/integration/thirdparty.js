// Third-party integrations: Stripe, Paddle Billing, Lemon Squeezy, Zapier and MailerLite, each with its status and set-up.
import { api, listPage, programPath } from '../../api.js';
import { h, card, field, onSubmit, announce, attempt, copyButton, confirmed, failure, pagedTable, money, dateTime } from '../../dom.js';
import { deny, guarded } from '../../session.js';

export async function render(container, program) {
  const base = programPath(program.id, '/integrations');
  const refresh = async () => {
    const state = await api('GET', base);
    container.replaceChildren(
      h('p', {}, 'Ready-made connections: sales from Stripe, Paddle or Lemon Squeezy, automations in Zapier, subscribers in MailerLite.'),
      stripe(state.stripe), billing('paddle', 'Paddle Billing', state.paddle), billing('lemonsqueezy', 'Lemon Squeezy', state.lemonsqueezy), zapier(state.zapier), mailerlite(state.mailerlite));
  };

  const status = (on, text) => h('span', { class: `badge ${on ? 'on' : ''}` }, text ?? (on ? 'connected' : 'not connected'));
  const article = (id, name, on, ...content) => card({ id: `integration-${id}`, title: [name, ' ', status(on)], level: 3, tag: 'article' }, ...content);
  const disconnect = (name, label) => h('button', {
    type: 'button', class: 'secondary',
    onclick: confirmed(`Disconnect ${label}? Edgeref forgets its secret.`, async () => {
      await api('DELETE', `${base}/${name}`);
      announce(`${label} disconnected.`);
      await refresh();
    }),
  }, `Disconnect ${label}`);
  const connect = (name, label, body) => async (v) => {
    await api('PUT', `${base}/${name}`, body(v));
    announce(`${label} connected.`);
    await refresh();
  };

  function stripe(s) {
    const endpoint = h('code', {}, s.endpoint_url);
    return article('stripe', 'Stripe', s.enabled,
      h('p', {}, 'Paid invoices and completed checkouts of referred customers become transactions (and rewards); refunds reverse them.'),
      h('ol', {},
        h('li', {}, 'In Stripe, open Developers → Webhooks and add an endpoint with this URL: ', endpoint, ' ', copyButton('Copy URL', () => s.endpoint_url, endpoint)),
        h('li', {}, 'Select the events checkout.session.completed, checkout.session.async_payment_succeeded, invoice.paid and charge.refunded.'),
        h('li', {}, 'Paste the endpoint’s signing secret below.')),
      onSubmit(h('form', {}, guarded('integrations',
        field('Signing secret', { type: 'password', name: 'webhook_secret', required: true, placeholder: 'whsec_…', autocomplete: 'off' }, s.enabled ? 'Saved. Paste a new one to replace it.' : null),
        field('Restricted key (optional)', { type: 'password', name: 'secret_key', placeholder: 'rk_live_…', autocomplete: 'off' },
          s.secret_key_set ? 'Saved. Paste a new one to replace it; left empty, the saved one stays.' : 'For Stripe credit: a restricted key with only Customers write (docs/fulfilment.md). Never shown again.'),
        field('API base', { type: 'url', name: 'api_base', value: s.api_base ?? 'https://api.stripe.com', autocomplete: 'off' }, 'Stripe’s API; change it only to test against another server.'),
        h('div', { class: 'actions' }, h('button', { type: 'submit' }, s.enabled ? 'Save Stripe' : 'Connect Stripe'), s.enabled ? disconnect('stripe', 'Stripe') : null),
      )), connect('stripe', 'Stripe', (v) => ({
        webhook_secret: v.get('webhook_secret'),
        ...(v.get('secret_key') ? { secret_key: v.get('secret_key') } : {}),
        ...(v.get('api_base') ? { api_base: v.get('api_base') } : {}),
      }))),
      s.secret_key_set ? creditLog() : null);
  }

  /** Stripe's answer in a log row: its `error.message`, else the text (cut short). */
  const answerOf = (note) => {
    try { return JSON.parse(note)?.error?.message ?? (note.length > 120 ? `${note.slice(0, 120)}…` : note); } catch { return note ?? '—'; }
  };

  /** The Stripe credit log (docs/fulfilment.md): each credit, its status and Stripe's answer; failed ones can be retried. */
  function creditLog() {
    const row = (c) => {
      const retry = c.status === 'failed' ? deny(h('button', { type: 'button', class: 'secondary', 'aria-label': `Retry the credit of reward ${c.reward_id}` }, 'Retry'), 'payouts') : null;
      retry?.addEventListener('click', attempt(async () => {
        retry.disabled = true;
        const answer = await api('POST', `${base}/stripe/credits/${encodeURIComponent(c.id)}/retry`).finally(() => { retry.disabled = false; });
        announce(`Credit retried: ${answer.status}.`, { error: answer.status === 'failed' });
        await table.reload();
      }));
      return h('tr', { 'data-credit': c.id },
        h('td', {}, dateTime(c.created_at)),
        h('td', {}, c.customer?.key ?? '—'),
        h('td', { class: 'num' }, c.amount == null ? '—' : money(c.amount, program.currency)),
        h('td', {}, c.status), h('td', { class: 'num' }, c.attempts),
        h('td', {}, c.note == null ? '—' : answerOf(c.note)),
        h('td', {}, retry));
    };
    const table = pagedTable({
      head: ['Approved', 'Customer', { label: 'Amount', num: true }, 'Status', { label: 'Attempts', num: true }, 'Stripe’s answer', ''], row, label: 'Stripe credit log',
      fetchPage: (cursor) => listPage(`${base}/stripe/credits`, { limit: 20 }, cursor), empty: 'No credit yet.', moreLabel: 'Load more credits',
    });
    table.reload().catch(() => {}); // an API error shows in the table
    return h('div', { id: 'stripe-credits' }, h('h4', {}, 'Credit log'), h('p', { class: 'muted' }, 'Each approved reward credited to a Stripe customer balance, newest first.'), table.el);
  }

  /** Paddle Billing or Lemon Squeezy: where it posts, its signing secret (docs/integrations.md). */
  function billing(name, label, b) {
    const on = b?.enabled ?? false;
    const endpoint = h('code', {}, b?.endpoint_url ?? '');
    const steps = name === 'paddle'
      ? ['In Paddle, open Developer tools → Notifications and add a destination with this URL: ', 'Select transaction.completed and adjustment.created (and adjustment.updated).', 'Paste the destination’s secret key below. Pass edgeref(\'referral\') as custom_data.edgeref_code at checkout (or the customer key as edgeref_customer).']
      : ['In Lemon Squeezy, open Settings → Webhooks and add a webhook with this URL: ', 'Select order_created, subscription_payment_success and order_refunded, and set a signing secret.', 'Paste that signing secret below. Pass edgeref(\'referral\') as checkout[custom][edgeref_code].'];
    return article(name, label, on,
      h('p', {}, 'Paid orders of referred customers become transactions (and rewards); refunds reverse them.'),
      h('ol', {}, h('li', {}, steps[0], endpoint, ' ', copyButton('Copy URL', () => b?.endpoint_url ?? '', endpoint)), h('li', {}, steps[1]), h('li', {}, steps[2])),
      onSubmit(h('form', {}, guarded('integrations',
        field('Signing secret', { type: 'password', name: 'webhook_secret', required: true, maxlength: 200, autocomplete: 'off' }, on ? 'Saved. Paste a new one to replace it.' : null),
        h('div', { class: 'actions' }, h('button', { type: 'submit' }, on ? `Save ${label}` : `Connect ${label}`), on ? disconnect(name, label) : null),
      )), connect(name, label, (v) => ({ webhook_secret: v.get('webhook_secret') }))));
  }

  function zapier(z) {
    return article('zapier', 'Zapier', z.enabled,
      h('p', {}, z.enabled ? `${z.subscriptions} Zap${z.subscriptions === 1 ? '' : 's'} subscribed.` : 'No Zaps subscribed yet.'),
      h('ol', {},
        h('li', {}, 'Create an API key above for Zapier.'),
        h('li', {}, 'In Zapier, choose an Edgeref trigger (customer or transaction events) and connect with that API key.'),
        h('li', {}, 'Zapier subscribes itself through the webhooks API; its subscriptions appear here and under Webhooks.')));
  }

  function mailerlite(m) {
    return article('mailerlite', 'MailerLite', m.enabled,
      h('p', {}, 'Each new referring customer is added to a MailerLite group with their referral link in a field, so your emails can include it.'),
      m.enabled ? h('p', {}, `Group ${m.group_id}. Pending syncs: ${m.pending_syncs}, failed: ${m.failed_syncs}.`) : null,
      onSubmit(h('form', {}, guarded('integrations',
        field('API token', { type: 'password', name: 'api_token', required: true, autocomplete: 'off' }, 'MailerLite → Integrations → API.'),
        field('Group ID', { name: 'group_id', required: true, value: m.group_id ?? '', autocomplete: 'off' }),
        h('details', {}, h('summary', {}, 'Advanced'),
          field('API base URL', { type: 'url', name: 'api_base', value: m.api_base ?? '', placeholder: 'https://connect.mailerlite.com' }, 'Leave empty for MailerLite’s own API.')),
        h('div', { class: 'actions' }, h('button', { type: 'submit' }, m.enabled ? 'Save MailerLite' : 'Connect MailerLite'), m.enabled ? disconnect('mailerlite', 'MailerLite') : null),
      )), connect('mailerlite', 'MailerLite', (v) => ({ api_token: v.get('api_token'), group_id: v.get('group_id'), ...(v.get('api_base') ? { api_base: v.get('api_base') } : {}) }))));
  }

  await refresh().catch((e) => { container.replaceChildren(failure(e)); throw e; });
}
