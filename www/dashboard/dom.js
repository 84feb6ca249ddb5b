// Small DOM helpers. Text always goes in as text nodes (never as HTML), so
// anything a user or the API supplied is shown, not run.

import { ApiError } from './api.js';

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

/** A titled card: `<section>` labelled by its `<h2>`. */
export function section(id, title, ...content) {
  return h('section', { class: 'card', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...content);
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
 * Wires a form: on submit, `action(values)` runs with the submit button
 * disabled; an API error is shown in the form (naming the field when the API
 * did) and focus moves to the field at fault.
 */
export function onSubmit(form, action) {
  const error = form.querySelector('.form-error') ?? form.appendChild(h('p', { class: 'form-error', role: 'alert' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    error.textContent = '';
    form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
    if (button) button.disabled = true;
    try {
      await action(new FormData(form));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      error.textContent = e.message;
      const name = e.field?.split('.').pop();
      const culprit = name && form.querySelector(`[name="${CSS.escape(name)}"]`);
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
      if (!(e instanceof ApiError)) throw e;
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

/** Shows an API error in place of a screen's content. */
export function failure(e) {
  return h('p', { class: 'form-error', role: 'alert' }, e instanceof Error ? e.message : String(e));
}
