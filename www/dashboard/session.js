// Who is signed in (GET /auth/session): their e-mail, role, program limit and what the role
// allows. Screens ask `lacks(action)` to show a control disabled with the reason; the
// server decides regardless (a 403 is shown like any other error).
import { h } from './dom.js';

let current = null;

export function setSession(session) {
  current = session;
}

export const session = () => current;

const DOING = {
  create_program: 'create programs', update_program: 'change program settings', delete_program: 'delete programs', customers: 'change customers',
  transactions: 'change transactions', rewards: 'review rewards', payouts: 'record payouts', exports: 'export data', api_keys: 'manage API keys',
  webhooks: 'manage webhooks', integrations: 'manage integrations', team: 'manage the team', owners: 'change owners',
};

/** Why the signed-in person cannot do `action` (`null` when they can). */
export function lacks(action) {
  if (!current?.permissions || current.permissions[action] !== false) return null;
  return `Your role (${current.role}) cannot ${DOING[action] ?? action}.`;
}

let reasons = 0;
/** Disables `control` with the reason shown next to it, when the role lacks `action`; returns what to insert. */
export function guard(control, action) {
  const why = lacks(action);
  if (!why) return control;
  const id = `why${++reasons}`;
  control.disabled = true;
  control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
  return [control, h('p', { id, class: 'hint reason' }, why)];
}

/** For a control repeated row by row: disabled, with the reason as its tooltip and description. */
export function deny(control, action) {
  const why = lacks(action);
  if (!why) return control;
  control.disabled = true;
  control.title = why;
  control.setAttribute('aria-description', why);
  return control;
}

/** A link (which cannot be disabled), or in its place the reason the role lacks `action`. */
export function linkOr(action, link) {
  const why = lacks(action);
  return why ? h('p', { class: 'hint reason' }, why) : link;
}

/** A whole form or card read-only (a disabled fieldset) with the reason above it, when the role lacks `action`. */
export function guarded(action, ...content) {
  const why = lacks(action);
  return why ? [h('p', { class: 'hint reason' }, why), h('fieldset', { disabled: true, class: 'guarded' }, ...content)] : content;
}
