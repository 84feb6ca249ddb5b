// Webhooks: create (name, endpoint URL, events), list, edit, delete, delivery log, test event.
import { api, programPath } from '../../api.js';
import { h, card, field, choice, onSubmit, announce, attempt, confirmed, shownOnce, dateTime, failure } from '../../dom.js';
import { deny } from '../../session.js';

export const EVENTS = ['customer.created', 'customer.updated', 'customer.deleted', 'customer.credited', 'transaction.created', 'transaction.deleted', 'reward.created', 'reward.approved', 'reward.rejected', 'payout.created'];

export async function render(container, program) {
  const base = programPath(program.id, '/webhooks');
  const list = h('div');
  const reveal = h('div', { 'aria-live': 'polite' });
  const createButton = deny(h('button', { type: 'button', 'aria-expanded': 'false' }, 'Create webhook'), 'webhooks');
  const createSlot = h('div');

  const refresh = async () => {
    const { data } = await api('GET', base);
    list.replaceChildren(...(data.length ? data.map((hook) => hookCard(hook)) : [h('p', { class: 'muted' }, 'No webhooks yet.')]));
  };

  const closeCreate = () => { createSlot.replaceChildren(); createButton.setAttribute('aria-expanded', 'false'); createButton.hidden = false; };
  createButton.addEventListener('click', () => {
    createButton.hidden = true;
    createButton.setAttribute('aria-expanded', 'true');
    const form = webhookForm(null, 'Create', async (body) => {
      const hook = await api('POST', base, body);
      closeCreate();
      reveal.dataset.hookId = hook.id;
      reveal.replaceChildren(shownOnce('new-webhook-secret', `Webhook “${hook.name}” created.`,
        'Its signing secret is shown only now: use it to verify the webhook-signature header (Standard Webhooks).', hook.secret, 'Copy signing secret'));
      announce(`Webhook “${hook.name}” created.`);
      await refresh();
      createButton.focus();
    }, closeCreate);
    createSlot.replaceChildren(form);
    form.querySelector('input').focus();
  });

  /** One webhook with its actions; edit and the delivery log open below it. */
  function hookCard(hook) {
    const slot = h('div');
    const badge = h('span', { class: `badge ${hook.is_active ? 'on' : 'off'}` }, hook.is_active ? 'active' : 'off');
    return card({ id: `webhook-${hook.id}`, title: [hook.name, ' ', badge], level: 3, tag: 'article', label: `Webhook ${hook.name}` },
      h('p', { class: 'mono' }, hook.url),
      hook.disabled_reason ? h('p', { class: 'form-error' }, `Switched off: ${hook.disabled_reason}`) : null,
      h('p', {}, 'Events: ', hook.events.join(', ')),
      h('div', { class: 'actions' },
        deny(h('button', { type: 'button', class: 'secondary', onclick: () => {
          slot.replaceChildren(webhookForm(hook, 'Save', async (body) => {
            await api('PATCH', `${base}/${encodeURIComponent(hook.id)}`, body);
            announce(`Webhook “${body.name}” saved.`);
            await refresh();
          }, () => slot.replaceChildren()));
          slot.querySelector('input').focus();
        } }, 'Edit'), 'webhooks'),
        deny(h('button', { type: 'button', class: 'secondary', onclick: attempt(async () => {
          const { event_id: eventId } = await api('POST', `${base}/${encodeURIComponent(hook.id)}/test`);
          announce('Test event sent.');
          await showLog(hook, slot, eventId);
        }) }, 'Send test event'), 'webhooks'),
        h('button', { type: 'button', class: 'secondary', onclick: attempt(() => showLog(hook, slot)) }, 'Delivery log'),
        deny(h('button', { type: 'button', class: 'secondary', onclick: confirmed(`Delete the webhook “${hook.name}”? Its delivery log goes with it.`, async () => {
          await api('DELETE', `${base}/${encodeURIComponent(hook.id)}`);
          if (reveal.dataset.hookId === hook.id) reveal.replaceChildren();
          announce(`Webhook “${hook.name}” deleted.`);
          await refresh();
          createButton.focus();
        }) }, 'Delete'), 'webhooks')),
      slot);
  }

  /** The delivery log; after a test event, re-reads it until that delivery has an outcome. */
  async function showLog(hook, slot, awaitedEvent) {
    const path = `${base}/${encodeURIComponent(hook.id)}/deliveries`;
    const table = h('div', { 'aria-live': 'polite' });
    const reload = async () => {
      const { data } = await api('GET', path);
      table.replaceChildren(data.length ? logTable(data) : h('p', { class: 'muted' }, 'Nothing delivered yet.'));
      return data;
    };
    slot.replaceChildren(h('h4', {}, 'Delivery log'), table, h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: attempt(reload) }, 'Refresh log'),
      h('button', { type: 'button', class: 'link', onclick: () => slot.replaceChildren() }, 'Close log')));
    for (let tries = 0; tries < 30; tries++) {
      const data = await reload();
      const awaited = awaitedEvent && data.find((d) => d.event_id === awaitedEvent);
      if (!awaitedEvent || (awaited && awaited.status !== 'pending') || !slot.contains(table)) return;
      await new Promise((r) => setTimeout(r, 1000)); // deliveries happen after the response; poll gently
    }
  }

  container.replaceChildren(
    h('p', {}, 'Edgeref POSTs signed JSON to your endpoints when something happens in this program, and retries failures for about a day.'),
    createButton, createSlot, reveal, list);
  await refresh().catch((e) => { list.replaceChildren(failure(e)); throw e; });
}

function logTable(deliveries) {
  return h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, ['Event', 'Status', 'Attempts', 'Response', 'Time', 'Next retry'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, deliveries.map((d) => {
      const last = d.attempts.at(-1);
      return h('tr', {},
        h('td', { class: 'mono' }, d.event_type),
        h('td', {}, h('span', { class: `badge ${d.status === 'succeeded' ? 'on' : d.status === 'failed' ? 'off' : ''}` }, d.status)),
        h('td', { class: 'num' }, d.attempts_count),
        h('td', {}, d.last_response_code ?? last?.error ?? '—', last ? ` (${last.duration_ms} ms)` : ''),
        h('td', {}, dateTime(last?.attempted_at ?? d.created_at)),
        h('td', {}, dateTime(d.next_attempt_at)));
    }))));
}

/** The create/edit form; `submit(body)` gets the API's webhook body. */
function webhookForm(hook, verb, submit, cancel) {
  const form = h('form', { class: 'card' },
    field('Webhook name', { name: 'name', required: true, maxlength: 100, value: hook?.name ?? '', autocomplete: 'off' }),
    field('Endpoint URL', { type: 'url', name: 'url', required: true, value: hook?.url ?? '', placeholder: 'https://yourapp.com/webhooks/edgeref' }, 'Must be https.'),
    h('fieldset', {}, h('legend', {}, 'Events to send'),
      EVENTS.map((e) => choice('checkbox', 'events', e, h('code', {}, e), hook?.events.includes(e)))),
    hook ? choice('checkbox', 'is_active', 'true', 'Active: send events to this endpoint', hook.is_active) : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, verb), h('button', { type: 'button', class: 'secondary', onclick: cancel }, 'Cancel')),
  );
  return onSubmit(form, (v) => {
    const body = { name: v.get('name'), url: v.get('url'), events: v.getAll('events') };
    if (hook) body.is_active = v.get('is_active') === 'true';
    return submit(body);
  });
}
