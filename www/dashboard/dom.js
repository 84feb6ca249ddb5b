// Small DOM helpers. Text always goes in as text nodes (never as HTML), so
// anything a user or the API supplied is shown, not run. This file imports
// nothing: an error the API answered is recognised by its shape (`fromApi`).

/** `h('a', {href, onclick}, 'text', child)`: an element; `on*` props become listeners. */
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

/** The same for SVG elements. */
export function svg(tag, props, ...children) {
  return build(document.createElementNS('http://www.w3.org/2000/svg', tag), props, children);
}

function build(el, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return el;
}

/**
 * A card: `<section class="card" id>` labelled by its heading, `<h2 id="{id}-title">`.
 * `title` is the heading's text (and nodes, e.g. a status badge); `aside`, controls shown
 * beside it; `level: 3` and `tag: 'article'` for a card inside a card; `label`, a name
 * for the card other than its heading. The heading can take focus
 * (`card.querySelector('h2').focus()`), e.g. when the row that had it goes away.
 */
export function card({ id, title, aside, level = 2, tag = 'section', label }, ...content) {
  const heading = h(`h${level}`, { id: `${id}-title`, tabindex: -1 }, title);
  return h(tag, { class: 'card', id, 'aria-label': label, 'aria-labelledby': label ? null : heading.id },
    aside ? h('div', { class: 'head' }, heading, aside) : heading, ...content);
}

let ids = 0;
/** A labelled form control: `field('Name', {name: 'name', required: true}, 'hint')`. */
export function field(label, input, hint) {
  const control = input instanceof Node ? input : h('input', { type: 'text', ...input });
  control.id ||= `f${++ids}`;
  const hintEl = hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/** A radio or checkbox with its label. */
export function choice(type, name, value, label, checked) {
  return h('label', { class: 'choice' }, h('input', { type, name, value, checked }), ' ', label);
}

/** Says `message` in the polite live region (and shows it briefly). */
export function announce(message, { error = false } = {}) {
  const status = document.getElementById('status');
  status.classList.toggle('error', error);
  status.textContent = '';
  // A fresh text node is announced even when the message repeats.
  requestAnimationFrame(() => { status.textContent = message; });
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { status.textContent = ''; }, 6000);
}

/**
 * Whether `e` is an error the API answered (api.js's ApiError: a numeric `status`,
 * a `message` for the owner, the `field` at fault or null). Those are shown; any
 * other error is a bug, and is thrown on.
 */
export const fromApi = (e) => typeof e?.status === 'number' && typeof e.message === 'string';

/**
 * Wires a form: on submit, `action(values)` runs with the submit button
 * disabled; an API error is shown in the form (naming the field when the API
 * did) and focus moves to the field at fault. The values include the name and
 * value of the button that submitted, so one form can offer several actions
 * (`h('button', {type: 'submit', name: 'do', value: 'preview'})`). The field at
 * fault is the control whose `data-field` is the API's field path
 * (`emails.messages.friend_joined.body`), else the one named like its last part;
 * a field made with `fieldError` shows the message next to it, others under the form.
 */
export function onSubmit(form, action) {
  const error = form.querySelector('.form-error:not(.field-error)') ?? form.appendChild(h('p', { class: 'form-error', role: 'alert' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = event.submitter ?? form.querySelector('button[type=submit]');
    const values = new FormData(form, event.submitter); // before the button is disabled, which would leave it out
    error.textContent = '';
    form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
    form.querySelectorAll('.field-error').forEach((el) => { el.textContent = ''; });
    if (button) button.disabled = true;
    try {
      await action(values);
    } catch (e) {
      if (!fromApi(e)) throw e;
      const name = e.field?.split('.').pop();
      const culprit = (e.field && form.querySelector(`[data-field="${CSS.escape(e.field)}"]`)) || (name && form.querySelector(`[name="${CSS.escape(name)}"]`));
      const beside = culprit?.closest('.field')?.querySelector('.field-error');
      (beside ?? error).textContent = e.message;
      if (culprit) {
        culprit.setAttribute('aria-invalid', 'true');
        culprit.focus();
      }
    } finally {
      if (button?.isConnected) button.disabled = false;
    }
  });
  return form;
}

/** `field(…)` with a place for the API's error about it, next to the control (see `onSubmit`). */
export function fieldError(wrapper) {
  const control = wrapper.querySelector('input, select, textarea');
  const slot = h('p', { class: 'form-error field-error', id: `${control.id}-error`, role: 'alert' });
  control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), slot.id].filter(Boolean).join(' '));
  wrapper.append(slot);
  return wrapper;
}

/** Copies `text()` to the clipboard; if the browser refuses, selects `fallback` for Ctrl+C. */
export function copyButton(label, text, fallback) {
  return h('button', {
    type: 'button',
    class: 'secondary',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text());
        announce('Copied to the clipboard.');
      } catch {
        if (fallback) getSelection().selectAllChildren(fallback);
        announce('Press Ctrl+C (⌘C) to copy the selected text.');
      }
    },
  }, label);
}

/** A click handler running `action`; an API error is announced instead of thrown. */
export function attempt(action) {
  return async () => {
    try {
      await action();
    } catch (e) {
      if (!fromApi(e)) throw e;
      announce(e.message, { error: true });
    }
  };
}

/** The same, after the browser's own confirmation dialog. */
export function confirmed(question, action) {
  const run = attempt(action);
  return () => (confirm(question) ? run() : undefined);
}

/** A secret the API shows only once (an API key, a signing secret), with a copy button. */
export function shownOnce(id, heading, explanation, secret, copyLabel) {
  const value = h('code', { id }, secret);
  return h('div', { class: 'secret' }, h('p', {}, h('strong', {}, heading, ' '), explanation), h('p', {}, value), copyButton(copyLabel, () => secret, value));
}

/** How many decimals `currency`'s minor unit has: JPY 0, EUR 2, KWD 3 (the browser's ISO 4217 data). */
export const currencyDigits = (currency) => new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;

/** Minor units in `currency`, in the reader's locale: (1999, 'EUR') → "€19.99", (500, 'JPY') → "¥500". */
export function money(minor, currency) {
  const digits = currencyDigits(currency);
  return new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(minor / 10 ** digits);
}

/** A decimal amount typed by the owner ("19.99") as minor units (1999). */
export const toMinor = (decimal, currency) => Math.round(Number(decimal) * 10 ** currencyDigits(currency));
export const date = (iso) => (iso ? new Date(iso).toLocaleDateString('en', { year: 'numeric', month: 'short', day: 'numeric' }) : '—');
export const dateTime = (iso) => (iso ? new Date(iso).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' }) : '—');

/** Shows an API error in place of a screen's content (or of the part that failed). */
export function failure(e) {
  return h('p', { class: 'form-error', role: 'alert' }, e instanceof Error ? e.message : String(e));
}

/**
 * A table filled a page at a time. `fetchPage(cursor)` answers a page of the API's
 * lists, `{data, next_cursor}` (cursor null: the first page); `row(item)` makes each
 * `<tr>`. `head`: each column as its label (text or a node) or `{label, num, title}`
 * (`num`: right-aligned amounts; `title`: a tooltip). `empty`: the text shown when
 * there are no rows; `moreLabel`: the button that loads the next page; `label`: the
 * table's accessible name.
 *
 * Failures are shown in place, one way: the API's message under the table (`failure`),
 * the rows already shown kept, and the button offering the same page again. Returns
 * `{el, body, reload, refresh}`: `reload()` starts again from the first page (resolving
 * once the answer is shown, failure or not; an older answer arriving late is dropped),
 * `refresh()` after rows were removed from `body` by hand.
 */
export function pagedTable({ head, row, fetchPage, moreLabel, empty, label }) {
  const body = h('tbody');
  const column = (c) => (typeof c === 'object' && !(c instanceof Node) ? c : { label: c });
  const table = h('div', { class: 'scroll' }, h('table', { 'aria-label': label },
    h('thead', {}, h('tr', {}, head.map(column).map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null, title: c.title }, c.label)))), body));
  const none = h('p', { class: 'empty', hidden: true }, empty);
  const problem = h('div');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, moreLabel);
  let cursor = null;
  let retry = null; // the page that failed: fresh (the first) or the next
  let latest = 0;
  // No rows: the empty text, unless the page failed (then only the failure and the button).
  const refresh = () => {
    const nothing = body.children.length === 0;
    table.hidden = nothing;
    none.hidden = !nothing || retry !== null;
  };
  const fill = async (fresh) => {
    const mine = ++latest;
    more.disabled = true;
    try {
      const page = await fetchPage(fresh ? null : cursor);
      if (mine !== latest) return;
      if (fresh) body.replaceChildren();
      body.append(...page.data.map(row));
      [cursor, retry] = [page.next_cursor, null];
      problem.replaceChildren();
      more.textContent = moreLabel;
      more.hidden = !cursor;
    } catch (e) {
      if (mine !== latest) return;
      if (!fromApi(e)) throw e;
      if (fresh) body.replaceChildren();
      retry = fresh;
      problem.replaceChildren(failure(e));
      more.textContent = fresh ? 'Try again' : moreLabel;
      more.hidden = false;
    } finally {
      if (mine === latest) {
        more.disabled = false;
        refresh();
      }
    }
  };
  more.addEventListener('click', () => fill(retry ?? false));
  return { el: h('div', {}, table, none, problem, more), body, reload: () => fill(true), refresh };
}
