// The dashboard shell: sign-in gate, hash routes, and the program header.
// Each screen is a module exporting `render(container, program?)`; screens reach
// the shell only through nav.js, so nothing imports this file.

import { api, programPath } from './api.js';
import { h, announce } from './dom.js';
import { connect } from './nav.js';
import * as signin from './screens/signin.js';
import * as programs from './screens/programs.js';
import * as create from './screens/create.js';
import * as settings from './screens/settings.js';
import * as integration from './screens/integration.js';
import * as customers from './screens/customers.js';
import * as results from './screens/results.js';
import * as rewards from './screens/rewards.js';
import * as emails from './screens/emails.js';
import * as audit from './screens/audit.js';
import * as team from './screens/team.js';
import { setSession } from './session.js';

const main = document.getElementById('main');
const signOut = document.getElementById('sign-out');
const teamLink = document.getElementById('team-link');
const whoami = document.getElementById('whoami');

/** Program screens, in the order an owner meets them. */
const PROGRAM_TABS = [
  ['settings', 'Settings', settings],
  ['integration', 'Integration', integration],
  ['customers', 'Customers', customers],
  ['rewards', 'Rewards', rewards],
  ['results', 'Results', results],
  ['emails', 'E-mails', emails],
  ['audit', 'Audit log', audit],
];

/** `#/`, `#/new`, `#/p/{id}/{tab}`, `#/p/{id}/{tab}/{section}` → the screen to show. */
function resolve(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'new') return () => create.render(main);
  if (parts[0] === 'team') return () => team.render(main);
  if (parts[0] === 'p' && parts[1]) {
    const tab = PROGRAM_TABS.find(([slug]) => slug === (parts[2] ?? 'settings'));
    if (tab) return () => showProgram(parts[1], tab, parts[3]);
  }
  return () => programs.render(main);
}

/** The program header on screen (its name and website), for `programChanged`. */
let header = null;

async function showProgram(id, [slug, , screen], section) {
  const program = await api('GET', programPath(id));
  const tabs = h('ul', { class: 'tabs' }, PROGRAM_TABS.map(([s, label]) =>
    h('li', {}, h('a', { href: `#/p/${encodeURIComponent(id)}/${s}`, 'aria-current': s === slug ? 'page' : null }, label))));
  header = { id, name: h('h1', { id: 'program-name' }, program.name), website: h('p', { class: 'muted', id: 'program-website' }, program.website_url) };
  main.replaceChildren(
    h('p', {}, h('a', { href: '#/' }, '← Programs')),
    header.name,
    header.website,
    h('nav', { 'aria-label': 'Program' }, tabs),
  );
  const body = h('div');
  main.append(body);
  await screen.render(body, program);
  // A link to one part of a screen (Settings → E-mails): its card's heading takes the focus.
  if (section) document.getElementById(section)?.querySelector('h2')?.focus();
}

let current = 0;
/** Shows the screen for the current hash; only the latest navigation wins. */
async function route() {
  const mine = ++current;
  try {
    await resolve(location.hash)();
  } catch (e) {
    if (mine !== current) return;
    main.replaceChildren(h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, e.message), h('p', {}, h('a', { href: '#/' }, 'Back to programs')));
  }
  // Screens that focus a field keep it; otherwise focus the new content.
  if (mine === current && !main.contains(document.activeElement)) main.focus();
}

/** After a save, the header shows the program's new name and website (if it still shows that program). */
function programChanged(program) {
  if (!header?.name.isConnected || header.id !== program.id) return;
  header.name.textContent = program.name;
  header.website.textContent = program.website_url;
}

function showSignIn(reason) {
  current++; // whatever was loading is moot now
  signOut.hidden = true;
  teamLink.hidden = true;
  whoami.textContent = '';
  signin.render(main, reason, () => api('GET', '/auth/session').then(start));
}

/** Signed in: who it is (the role decides which controls are enabled), then the screen. */
async function start(session) {
  setSession(session);
  whoami.textContent = session.user ? `${session.user.email} (${session.role})` : 'Admin token';
  signOut.hidden = false;
  teamLink.hidden = false;
  await route();
}

connect({ route, programChanged });
// Routes are "#/…"; other fragments are ordinary in-page links.
window.addEventListener('hashchange', () => { if (location.hash === '' || location.hash.startsWith('#/')) route(); });
window.addEventListener('edgeref:session-ended', () => showSignIn('expired'));
signOut.addEventListener('click', async () => {
  await api('POST', '/auth/logout').catch(() => {});
  showSignIn('signed-out');
  announce('Signed out.');
});

api('GET', '/auth/session').then(start, () => showSignIn());
