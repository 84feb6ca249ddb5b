// The referrer widget (`/s/widget.js`): loaded only by `edgeref('widget', {token, target,
// accent?, locale?, messages?})` (snippet/core.js hands the calls over on this script's
// element, `s.q`, and resolves each promise with whether it rendered), or by the hosted
// portal page (`<script data-portal="ID">`, the token from the page's address or its session).
//
// It reads `GET /w/me` with the portal token and renders, in an open shadow root (the
// page's CSS cannot reach in; tests and screen readers can): the link with a copy button,
// native share where the browser has it, share links with a prefilled message, the QR code
// (SVG made by the Worker, shown as an image: never parsed as markup here), the friend
// reward, invitations by e-mail (when the program sends them), stats and balances in the
// program's currency, and the referred friends. Text goes
// in through textContent and attributes only. A token the Worker refuses shows "link
// expired"; anything else wrong (no target, bad options) is logged in debug mode and does
// nothing else: nothing here ever throws into the host page.
const script = document.currentScript;
const base = script.src.replace(/\/s\/widget\.js([?#].*)?$/, '');
// Debug output only when the page asks: `data-debug` on the loader's tag, or `?edgeref_debug=1`.
const debug = document.querySelector('script[data-debug]') || /[?&]edgeref_debug=1/.test(location.search);
const log = (m) => debug && console.info('edgeref: ' + m);

// English; `locale` (a BCP 47 tag) formats numbers and dates, `messages` replaces any of these.
const EN = {
  title: 'Refer a friend',
  intro: 'Share your link. You earn rewards when friends sign up and buy.',
  friendsGet: 'Your friends get {reward}',
  linkLabel: 'Your referral link',
  copy: 'Copy link',
  copied: 'Link copied',
  copyFailed: 'Press Ctrl+C to copy the selected link',
  share: 'Share…',
  shareOn: 'Share on {network}',
  email: 'Email',
  message: 'Join me on {program}: {reward} with my link {link}',
  messageNoReward: 'Join me on {program} with my link {link}',
  subject: 'An invitation to {program}',
  qr: 'QR code of your referral link',
  statsTitle: 'Your referrals',
  visits: 'Visits',
  signups: 'Friends signed up',
  paying: 'Friends who bought',
  balanceTitle: 'Your rewards',
  balance: 'Available',
  pending: 'Pending',
  paid: 'Paid out',
  friendsTitle: 'Friends you referred',
  noFriends: 'No friends yet: share your link to invite them.',
  aFriend: 'A friend',
  purchased: 'Bought',
  joined: 'Signed up',
  percentOff: '{percent} % off',
  amountOff: '{amount} off',
  expiredTitle: 'This link has expired',
  expired: 'Reload the page, or ask for a new link.',
  unavailableTitle: 'Referrals are unavailable right now',
  unavailable: 'Please try again in a moment.',
  loading: 'Loading your referral link…',
  inviteTitle: 'Invite friends by e-mail',
  inviteLabel: 'Their e-mail addresses, separated by commas',
  invite: 'Send invitations',
  invited: 'Invitations sent: {n}.',
  notInvited: 'Not sent to {list}.',
  inviteFailed: 'The invitations could not be sent. Please try again.',
};

const CSS = `
:host{all:initial!important;display:block!important;visibility:visible!important;opacity:1!important;contain:content!important;container-type:inline-size!important}
*{box-sizing:border-box;margin:0;padding:0;font:inherit;color:inherit;background:none;border:0;text-transform:none;letter-spacing:normal}
.w{--a:#1d4ed8;display:grid;gap:16px;padding:16px;border:1px solid #d1d5db;border-radius:12px;background:#fff;color:#111827;
 font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;text-align:left;min-width:0}
h2{font-size:1.25em;font-weight:700;line-height:1.3}h3{font-size:1em;font-weight:700;margin-bottom:6px}
p,li,dd,dt,label{overflow-wrap:anywhere}.m{color:#4b5563}.r{font-weight:700;color:var(--a)}
.row{display:flex;gap:8px;flex-wrap:wrap}
input{flex:1 1 180px;min-width:0;padding:10px;border:1px solid #6b7280;border-radius:8px;background:#f9fafb;color:#111827;font-size:14px}
button,.s a{display:inline-flex;align-items:center;justify-content:center;min-height:44px;padding:8px 14px;border-radius:8px;cursor:pointer;
 font-weight:600;text-decoration:none;background:var(--a);color:#fff;border:2px solid var(--a)}
.s a{background:#fff;color:#111827;border:1px solid #6b7280;font-weight:500}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.q{display:flex;justify-content:center}.q img{display:block;width:168px;height:168px;image-rendering:pixelated}
dl{display:grid;grid-template-columns:repeat(3,1fr);gap:8px}dl div{padding:8px;border-radius:8px;background:#f3f4f6}
dt{font-size:.8em;color:#4b5563}dd{font-size:1.15em;font-weight:700}
ul{list-style:none;display:grid;gap:6px}li{display:flex;justify-content:space-between;gap:8px;flex-wrap:wrap;padding:8px 0;border-top:1px solid #e5e7eb}
.b{font-size:.8em;padding:2px 8px;border-radius:999px;background:#e5e7eb;color:#111827}.b.y{background:#dcfce7;color:#14532d}
[role=alert]{padding:12px;border-radius:8px;background:#fef2f2;color:#7f1d1d;border:1px solid #fca5a5}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@container (min-width:560px){.w{grid-template-columns:1fr 200px;align-items:start}.w>:not(.q){grid-column:1}.q{grid-column:2;grid-row:1/span 4}}
`;

// One element: attributes (`on*` as listeners), then children (strings become text nodes).
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v != null) e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c != null));
  return e;
}

const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] != null ? vars[k] : ''));

// A tag like `de` or `pt-BR` that Intl accepts; anything else (too long, not a tag) is English.
function locale(tag) {
  if (typeof tag != 'string' || tag.length > 35 || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(tag)) return 'en';
  try {
    return Intl.NumberFormat.supportedLocalesOf([tag]).length ? tag : 'en';
  } catch (x) {
    return 'en';
  }
}

// Minor units in the currency's own decimals (2 for EUR, 0 for JPY, 3 for KWD).
function money(lang, currency) {
  try {
    const f = new Intl.NumberFormat(lang, { style: 'currency', currency });
    const digits = f.resolvedOptions().maximumFractionDigits;
    return (minor) => f.format(minor / Math.pow(10, digits));
  } catch (x) {
    return (minor) => minor + ' ' + currency;
  }
}

// Only a colour: a hex or rgb()/hsl() value or a name, nothing that could end the declaration.
const colour = (a) => (typeof a == 'string' && /^(#[0-9a-fA-F]{3,8}|(rgb|hsl)a?\([\d\s.,%/]+\)|[a-zA-Z]{3,20})$/.test(a) ? a : null);

function element(target) {
  try {
    return typeof target == 'string' ? document.querySelector(target) : target instanceof Element ? target : null;
  } catch (x) {
    return null; // not a selector
  }
}

function reward(r, t, fmt) {
  if (!r) return null;
  if (r.type == 'percent') return fill(t.percentOff, { percent: r.percent });
  if (r.type == 'fixed') return fill(t.amountOff, { amount: fmt(r.amount) });
  return r.description || null;
}

function linkRow(t, link, status) {
  const input = h('input', { id: 'l', type: 'text', readonly: '', value: link, 'aria-describedby': 'st' });
  const copied = (ok) => {
    status.textContent = ok ? t.copied : t.copyFailed;
    if (!ok) input.select();
  };
  const copy = () => {
    const fallback = () => {
      input.select();
      try {
        copied(document.execCommand('copy'));
      } catch (x) {
        copied(false);
      }
    };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(link).then(() => copied(true), fallback);
    else fallback();
  };
  return h('div', null, h('label', { for: 'l' }, t.linkLabel), h('div', { class: 'row' }, input, h('button', { type: 'button', onclick: copy }, t.copy)));
}

function shareRow(t, me, gift) {
  const vars = { program: me.program.name, reward: gift, link: me.referral_link };
  const text = fill(gift ? t.message : t.messageNoReward, vars);
  const e = encodeURIComponent;
  const networks = [
    [t.email, 'mailto:?subject=' + e(fill(t.subject, vars)) + '&body=' + e(text)],
    ['X', 'https://x.com/intent/tweet?text=' + e(text)],
    ['Facebook', 'https://www.facebook.com/sharer/sharer.php?u=' + e(me.referral_link)],
    ['LinkedIn', 'https://www.linkedin.com/sharing/share-offsite/?url=' + e(me.referral_link)],
    ['WhatsApp', 'https://wa.me/?text=' + e(text)],
  ];
  const row = h('div', { class: 'row s' });
  if (navigator.share) {
    const share = () => navigator.share({ title: fill(t.subject, vars), text, url: me.referral_link }).catch(() => {});
    row.append(h('button', { type: 'button', onclick: share }, t.share));
  }
  for (const [name, href] of networks) {
    const label = name == t.email ? name : fill(t.shareOn, { network: name });
    row.append(h('a', { href, target: '_blank', rel: 'noopener noreferrer', 'aria-label': label, 'data-share': name }, name));
  }
  return row;
}

function stats(t, me, fmt, num) {
  const cell = (label, value) => h('div', null, h('dt', null, label), h('dd', null, value));
  return [
    h('section', { 'aria-labelledby': 'hs' }, h('h3', { id: 'hs' }, t.statsTitle),
      h('dl', null, cell(t.visits, num(me.stats.visits)), cell(t.signups, num(me.stats.signups)), cell(t.paying, num(me.stats.paying_referrals)))),
    h('section', { 'aria-labelledby': 'hb' }, h('h3', { id: 'hb' }, t.balanceTitle),
      h('dl', null, cell(t.balance, fmt(me.balance)), cell(t.pending, fmt(me.pending_balance)), cell(t.paid, fmt(me.paid_total)))),
  ];
}

function friends(t, me, lang) {
  const date = new Intl.DateTimeFormat(lang, { dateStyle: 'medium' });
  const list = me.referrals.map((f) =>
    h('li', null, h('span', null, (f.name || t.aFriend) + ' · ' + f.email),
      h('span', null, h('span', { class: f.purchased ? 'b y' : 'b' }, f.purchased ? t.purchased : t.joined), ' ', date.format(new Date(f.joined_at)))));
  return h('section', { 'aria-labelledby': 'hf' }, h('h3', { id: 'hf' }, t.friendsTitle), list.length ? h('ul', null, ...list) : h('p', { class: 'm' }, t.noFriends));
}

// Up to five friends a day, by e-mail through the program (`POST /w/invite`).
function inviteForm(t, token) {
  const input = h('input', { id: 'i', type: 'text', inputmode: 'email', autocomplete: 'off', placeholder: 'ann@example.com, bob@example.com' });
  const said = h('p', { class: 'm', role: 'status', 'aria-live': 'polite' });
  const send = async (ev) => {
    ev.preventDefault();
    const emails = input.value.split(/[\s,;]+/).filter(Boolean);
    if (!emails.length) return;
    try {
      const r = await fetch(base + '/w/invite', { method: 'POST', headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' }, body: JSON.stringify({ emails }), credentials: 'omit' });
      if (!r.ok) throw r.status;
      const out = await r.json();
      said.textContent = fill(t.invited, { n: out.sent.length }) + (out.skipped.length ? ' ' + fill(t.notInvited, { list: out.skipped.map((x) => x.email).join(', ') }) : '');
      if (out.sent.length) input.value = '';
    } catch (x) {
      said.textContent = t.inviteFailed;
    }
  };
  return h('form', { 'aria-labelledby': 'hi', onsubmit: send }, h('h3', { id: 'hi' }, t.inviteTitle), h('label', { for: 'i' }, t.inviteLabel),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, t.invite)), said);
}

function card(t, me, lang, token) {
  const fmt = money(lang, me.currency);
  const num = (n) => new Intl.NumberFormat(lang).format(n);
  const gift = reward(me.friend_reward, t, fmt);
  const status = h('p', { id: 'st', class: 'sr', role: 'status', 'aria-live': 'polite' });
  const qr = me.qr_svg && h('div', { class: 'q' }, h('img', { src: 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(me.qr_svg), alt: t.qr, width: 168, height: 168 }));
  return [
    h('header', null, h('h2', null, t.title), h('p', { class: 'm' }, t.intro), gift && h('p', { class: 'r' }, fill(t.friendsGet, { reward: gift }))),
    linkRow(t, me.referral_link, status),
    shareRow(t, me, gift),
    status,
    qr,
    me.can_invite && inviteForm(t, token),
    ...stats(t, me, fmt, num),
    friends(t, me, lang),
  ];
}

function notice(title, text) {
  return [h('div', { role: 'alert' }, h('h2', null, title), h('p', null, text))];
}

async function fetchMe(token) {
  if (typeof token != 'string' || !/^[\w.-]{1,1000}$/.test(token)) return 401;
  try {
    const r = await fetch(base + '/w/me', { headers: { authorization: 'Bearer ' + token }, credentials: 'omit', cache: 'no-store' });
    return r.ok ? await r.json() : r.status;
  } catch (x) {
    log('widget: /w/me failed: ' + x);
    return 0;
  }
}

// Renders one call; resolves true when the customer's data is shown.
async function render(o) {
  const host0 = o && element(o.target);
  if (!host0) {
    log('widget: no element for target ' + String(o && o.target));
    return false;
  }
  const lang = locale(o.locale);
  const t = Object.assign({}, EN, o.messages && typeof o.messages == 'object' ? o.messages : {});
  let host = host0.querySelector(':scope > edgeref-widget');
  if (!host) host = host0.appendChild(document.createElement('edgeref-widget'));
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  const box = h('div', { class: 'w', lang, 'aria-busy': 'true' }, h('p', { class: 'm' }, t.loading));
  const accent = colour(o.accent);
  if (accent) box.style.setProperty('--a', accent);
  root.replaceChildren(box);
  style(root);
  const me = await fetchMe(o.token);
  box.removeAttribute('aria-busy');
  if (typeof me == 'object') box.replaceChildren(...card(t, me, lang, o.token).filter(Boolean));
  else if (me == 401) box.replaceChildren(...notice(t.expiredTitle, t.expired));
  else box.replaceChildren(...notice(t.unavailableTitle, t.unavailable));
  return typeof me == 'object';
}

// A constructed sheet where the browser has them (a page's CSP `style-src` does not apply), else a <style>.
let sheet;
function style(root) {
  try {
    if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (x) {
    root.prepend(h('style', null, CSS));
  }
}

function run(o, resolve) {
  render(o).then(resolve || (() => {}), (x) => {
    log('widget: ' + x);
    if (resolve) resolve(false);
  });
}

if (script.q) {
  // From the loader: its queued calls, then every later one as it comes.
  const queue = script.q;
  queue.splice(0).forEach(([o, resolve]) => run(o, resolve));
  queue.push = ([o, resolve]) => run(o, resolve);
} else if (script.dataset.portal) {
  // The hosted portal page: the token from its own address, or the one its portal session was given.
  run({ token: new URLSearchParams(location.search).get('token') || script.dataset.token, target: '#' + script.dataset.portal, locale: navigator.language });
}
