// Program settings: Program, Tracking, Rewards, E-mails, Portal, Delete program.
import { api, programPath } from '../api.js';
import { h, card, field, choice, onSubmit, announce } from '../dom.js';
import { go, programChanged } from '../nav.js';
import { referralLink } from '../link.js';
import * as emails from './settings/emails.js';
import * as portal from './settings/portal.js';
import { guarded } from '../session.js';

export async function render(container, program) {
  // After a save, everything showing the name or website follows.
  async function save(patch) {
    Object.assign(program, await api('PATCH', programPath(program.id), patch));
    programChanged(program);
    tracking.refresh();
    mail.refresh();
    signup.refresh();
    removal.refresh();
    announce('Saved.');
  }
  const tracking = trackingForm(program, save);
  const mail = emails.render(program, save);
  const signup = portal.render(program, save);
  const removal = deleteForm(program);
  container.replaceChildren(
    h('nav', { 'aria-label': 'Settings sections' }, h('ul', { class: 'toc' },
      [['program', 'Program'], ['tracking', 'Tracking'], ['rewards', 'Rewards'], ['emails', 'E-mails'], ['portal', 'Portal'], ['delete', 'Delete program']].map(([id, label]) => h('li', {}, h('a', { href: `#${id}` }, label))))),
    card({ id: 'program', title: 'Program' }, guarded('update_program', programForm(program, save, await holdsMoney(program)))),
    card({ id: 'tracking', title: 'Tracking' }, h('p', { class: 'muted' }, 'How referral links look and how long a referral sticks.'), guarded('update_program', tracking)),
    card({ id: 'rewards', title: 'Rewards' }, guarded('update_program', rewardsForm(program, save))),
    card({ id: 'emails', title: 'E-mails' }, guarded('update_program', mail)),
    card({ id: 'portal', title: 'Portal' }, guarded('update_program', signup)),
    card({ id: 'delete', title: 'Delete program' }, guarded('delete_program', removal)),
  );
}

/** Whether the program holds money (a transaction or a reward): its currency is then fixed (the API answers 409). */
async function holdsMoney(program) {
  try {
    const pages = await Promise.all(['/transactions?limit=1', '/rewards?limit=1'].map((path) => api('GET', programPath(program.id, path))));
    return pages.some((p) => p.data.length > 0);
  } catch {
    return false; // then the API's 409 on save says it (so does a manual credit, which no list shows)
  }
}

/** Every ISO 4217 currency the browser knows, as "EUR — Euro", with the program's own always there. */
function currencySelect(current, fixed) {
  const names = new Intl.DisplayNames(['en'], { type: 'currency' });
  const codes = [...new Set([...Intl.supportedValuesOf('currency'), current])].sort();
  return h('select', { name: 'currency', disabled: fixed }, codes.map((c) => h('option', { value: c, selected: c === current }, `${c} — ${names.of(c)}`)));
}

function programForm(program, save, fixedCurrency) {
  return onSubmit(h('form', {},
    field('Program name', { name: 'name', required: true, maxlength: 200, value: program.name }),
    field('Website URL', { type: 'url', name: 'website_url', required: true, value: program.website_url }),
    field('Currency', currencySelect(program.currency, fixedCurrency), fixedCurrency
      ? 'Fixed: the program holds money, and balances never mix currencies.'
      : 'Every transaction, reward and balance is in it. It can change only until the first money is recorded (a sale, reward or credit).'),
    h('button', { type: 'submit' }, 'Save program'),
  ), (v) => save({ name: v.get('name'), website_url: v.get('website_url'), ...(v.has('currency') ? { currency: v.get('currency') } : {}) }));
}

function trackingForm(program, save) {
  const t = program.tracking;
  const lifetime = t.cookie_days === null;
  const days = h('input', { type: 'number', name: 'cookie_days', min: 1, max: 3650, value: t.cookie_days ?? 30, 'aria-label': 'Cookie duration in days', disabled: lifetime });
  const preview = h('output', { id: 'link-preview', class: 'preview' });
  const cookiePreview = h('output', { id: 'cookie-preview', class: 'preview' });
  const endpointPreview = h('output', { id: 'endpoint-preview', class: 'preview' });
  const form = h('form', {},
    h('fieldset', {}, h('legend', {}, 'Referral link format'),
      choice('radio', 'link_format', 'query', 'Query: yourdomain.com?ref=xxxyyy', t.link_format === 'query'),
      choice('radio', 'link_format', 'path', 'Link: yourdomain.com/ref/xxxyyy', t.link_format === 'path')),
    field('Parameter name', { name: 'param', required: true, maxlength: 32, pattern: '[A-Za-z0-9_\\-]{1,32}', value: t.param, autocomplete: 'off', spellcheck: 'false' },
      'Letters, digits, “-” and “_”: e.g. change ref to a for yourdomain.com/a/xxxyyy.'),
    h('div', { class: 'field' }, h('span', { id: 'preview-label' }, 'Your referral links will look like'), ' ', preview),
    h('fieldset', {}, h('legend', {}, 'Cookie duration'),
      h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'cookie', value: 'days', checked: !lifetime }), ' For ', days, ' days'),
      choice('radio', 'cookie', 'lifetime', 'Lifetime (renewed on every visit; browsers keep cookies up to 400 days)', lifetime),
      h('p', { class: 'hint' }, 'A referred visitor has to sign up within this time to be credited to the customer who referred them.')),
    h('fieldset', {}, h('legend', {}, 'When a visitor followed several referral links'),
      choice('radio', 'attribution', 'last_click', 'Last click wins', t.attribution === 'last_click'),
      choice('radio', 'attribution', 'first_click', 'First click wins', t.attribution === 'first_click')),
    h('fieldset', {}, h('legend', {}, 'First-party tracking (optional)'),
      field('Cookie domain', { name: 'cookie_domain', maxlength: 253, value: t.cookie_domain ?? '', placeholder: program.default_cookie_domain ?? '', autocomplete: 'off', spellcheck: 'false' },
        'The domain the referral cookie is shared on, with all its subdomains. Empty: your website’s registrable domain.'),
      field('First-party endpoint', { type: 'url', name: 'endpoint', maxlength: 2000, value: t.endpoint ?? '', placeholder: 'https://shop.example/_edgeref', autocomplete: 'off', spellcheck: 'false' },
        'This Worker on your own site (a Worker route or custom domain): the snippet, beacons and short links use it, and the cookie is set by the server, which Safari does not cut to 7 days.'),
      h('div', { class: 'field' }, h('span', { id: 'cookie-preview-label' }, 'The referral cookie is shared on'), ' ', cookiePreview),
      h('div', { class: 'field' }, h('span', { id: 'endpoint-preview-label' }, 'Snippet, beacons and short links come from'), ' ', endpointPreview)),
    h('fieldset', {}, h('legend', {}, 'Privacy'),
      choice('radio', 'consent', 'not_required', 'Track without asking (no consent needed)', t.consent === 'not_required'),
      choice('radio', 'consent', 'required', 'Wait for consent: the page calls edgeref(\'consent\', \'granted\')', t.consent === 'required'),
      choice('radio', 'consent', 'google_consent_mode', 'Follow Google Consent Mode (ad_storage)', t.consent === 'google_consent_mode'),
      field('Keep raw visits for (days)', { type: 'number', name: 'visit_retention_days', min: 30, max: 3650, required: true, value: t.visit_retention_days ?? 400 },
        '30 to 3650. Older visits are rolled into daily counts: stats and exports keep their totals.')),
    h('button', { type: 'submit' }, 'Save tracking'),
  );
  preview.setAttribute('aria-labelledby', 'preview-label');
  cookiePreview.setAttribute('aria-labelledby', 'cookie-preview-label');
  endpointPreview.setAttribute('aria-labelledby', 'endpoint-preview-label');
  const refresh = () => {
    const v = new FormData(form);
    preview.textContent = referralLink(program.website_url, v.get('link_format'), v.get('param') || 'ref', 'xxxyyy');
    days.disabled = v.get('cookie') === 'lifetime';
    const domain = v.get('cookie_domain').trim().replace(/^\./, '') || program.default_cookie_domain;
    cookiePreview.textContent = domain ? `${domain} and its subdomains` : 'your website’s own host only';
    const base = v.get('endpoint').trim().replace(/\/+$/, '') || location.origin;
    endpointPreview.textContent = `${base} (short links like ${base}/r/xxxyyy)`;
  };
  form.addEventListener('input', refresh);
  form.refresh = refresh;
  refresh();
  return onSubmit(form, (v) => save({
    tracking: {
      link_format: v.get('link_format'),
      param: v.get('param'),
      cookie_days: v.get('cookie') === 'lifetime' ? null : Number(v.get('cookie_days')),
      attribution: v.get('attribution'),
      cookie_domain: v.get('cookie_domain').trim() || null,
      endpoint: v.get('endpoint').trim() || null,
      consent: v.get('consent'),
      visit_retention_days: Number(v.get('visit_retention_days')),
    },
  }));
}

const REWARD_TYPES = { percent: 'Percent of each sale', fixed: 'Fixed amount', coupon: 'Coupon code', stripe_promotion_code: 'Stripe promotion code, one per friend', none: 'No reward' };

/** The inputs for one reward rule; `read(values)` turns them back into the API's rule. */
function rewardFields(who, rule, types) {
  const type = rule?.type ?? 'none';
  const select = h('select', { name: `${who}_type` }, types.map((t) => h('option', { value: t, selected: t === type }, REWARD_TYPES[t])));
  const group = (t, ...fields) => h('div', { 'data-type': t }, ...fields);
  const groups = [
    group('percent', field('Percent', { type: 'number', name: `${who}_percent`, min: 0, max: 100, required: true, value: rule?.percent ?? 10 }, '0 to 100 % of each sale amount.')),
    group('fixed',
      field('Amount in minor units', { type: 'number', name: `${who}_amount`, min: 0, required: true, value: rule?.amount ?? 500 }, 'Cents and the like: 500 is 5.00 in a currency with cents, 500 in one without (JPY).'),
      field('Earned', h('select', { name: `${who}_on` }, h('option', { value: 'sale', selected: rule?.on !== 'signup' }, 'for each sale'), h('option', { value: 'signup', selected: rule?.on === 'signup' }, 'once, at a referred signup')))),
    group('coupon',
      field('Coupon code', { name: `${who}_code`, required: true, maxlength: 64, value: rule?.code ?? '' }, 'A code your shop honours, e.g. a Stripe promotion code.'),
      field('Description', { name: `${who}_description`, maxlength: 500, value: rule?.description ?? '' }, 'Shown to the friend, e.g. “10 % off your first order”.')),
    group('stripe_promotion_code',
      field('Stripe coupon ID', { name: `${who}_coupon`, required: true, maxlength: 200, pattern: '[A-Za-z0-9_\\-]+', value: rule?.coupon ?? '', autocomplete: 'off' },
        'Each referred friend gets a one-time code of their own for this coupon (needs a restricted key with Promotion codes write in Integration → Stripe).'),
      field('Code lasts (days)', { type: 'number', name: `${who}_expires_days`, min: 1, max: 365, value: rule?.expires_days ?? '', placeholder: 'No expiry' }, '1 to 365 days; empty: the code does not expire.')),
  ].filter((g) => types.includes(g.dataset.type));
  const sync = () => groups.forEach((g) => {
    g.hidden = g.dataset.type !== select.value;
    g.querySelectorAll('input, select').forEach((el) => { el.disabled = g.hidden; });
  });
  select.addEventListener('change', sync);
  sync();
  const read = (v) => {
    switch (v.get(`${who}_type`)) {
      case 'percent': return { type: 'percent', percent: Number(v.get(`${who}_percent`)) };
      case 'fixed': return { type: 'fixed', amount: Number(v.get(`${who}_amount`)), on: v.get(`${who}_on`) };
      case 'coupon': return { type: 'coupon', code: v.get(`${who}_code`), description: v.get(`${who}_description`) };
      case 'stripe_promotion_code': return { type: 'stripe_promotion_code', coupon: v.get(`${who}_coupon`), ...(v.get(`${who}_expires_days`) ? { expires_days: Number(v.get(`${who}_expires_days`)) } : {}) };
      default: return null;
    }
  };
  return { fields: [field('Type', select), ...groups], read };
}

/** Which of a friend's sales earn the referrer's reward (`limit`), and milestone bonuses (docs/rewards.md). */
function limitFields(r) {
  const limit = r.referrer?.limit;
  const kind = limit?.sales ? 'sales' : limit?.months ? 'months' : 'none';
  return h('fieldset', {}, h('legend', {}, 'Limits and milestones'),
    field('Referrer earns on', h('select', { name: 'limit_kind' },
      [['none', 'every sale of each friend'], ['sales', 'each friend’s first N sales'], ['months', 'each friend’s sales for N months']].map(([v, label]) => h('option', { value: v, selected: v === kind }, label)))),
    field('N', { type: 'number', name: 'limit_n', min: 1, max: 1000, value: limit?.sales ?? limit?.months ?? '' }, 'Sales (1 to 1000) or months after the friend’s first sale (1 to 120); for rewards on sales.'),
    field('Milestones', { name: 'milestones', value: (r.milestones ?? []).map((m) => `${m.friends}:${m.amount}`).join(', '), placeholder: 'e.g. 5:5000, 25:30000', autocomplete: 'off' },
      'A bonus once when a referrer reaches this many paying friends: friends:amount in minor units, comma-separated.'));
}

/** The limit and milestones as the API takes them, from `limitFields`. */
function readLimits(v) {
  const kind = v.get('limit_kind');
  const limit = kind === 'none' || !v.get('limit_n') ? null : { [kind]: Number(v.get('limit_n')) };
  const milestones = v.get('milestones').split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [friends, amount] = s.split(':').map((n) => Number(n.trim()));
    return { friends, amount };
  });
  return { limit, milestones };
}

/** Hold, approval and the daily limit: when a reward becomes money owed (docs/dashboard.md, Rewards). */
function reviewFields(r) {
  return h('fieldset', {}, h('legend', {}, 'Review: when a reward becomes money you owe'),
    field('Hold days', { type: 'number', name: 'hold_days', min: 0, max: 365, required: true, value: r.hold_days ?? 0 },
      'Rewards stay pending this many days (0 to 365), e.g. your refund window; a refund in that time cancels them.'),
    h('fieldset', { 'aria-describedby': 'approval-hint' }, h('legend', {}, 'Approval'),
      choice('radio', 'approval', 'auto', 'Automatic: approved when the hold ends', r.approval !== 'manual'),
      choice('radio', 'approval', 'manual', 'Manual: every reward waits for you in Rewards → Review queue', r.approval === 'manual'),
      h('p', { class: 'hint', id: 'approval-hint' }, 'Rewards with a fraud flag always wait for you.')),
    field('Rewards per referrer per day', { type: 'number', name: 'max_per_referrer_per_day', min: 1, value: r.max_per_referrer_per_day ?? '', placeholder: 'No limit' },
      'A referrer’s rewards beyond this many in a UTC day are flagged “over the daily limit” for review. Empty: no limit.'));
}

/** How approved referrer rewards are paid (docs/fulfilment.md). */
function fulfilmentFields(r) {
  const credit = r.fulfilment?.referrer === 'stripe_credit';
  return h('fieldset', { 'aria-describedby': 'fulfilment-hint' }, h('legend', {}, 'Pay referrers'),
    choice('radio', 'fulfilment', 'manual', 'By hand: you pay them and record it in Rewards → Payables', !credit),
    choice('radio', 'fulfilment', 'stripe_credit', 'Stripe credit: approved rewards go onto the referrer’s Stripe customer balance by themselves', credit),
    h('p', { class: 'hint', id: 'fulfilment-hint' }, 'Stripe credit needs a restricted key in Integration → Stripe and the customer’s Stripe customer ID; a credit Stripe refuses is flagged in the review queue.'));
}

function rewardsForm(program, save) {
  const referrer = rewardFields('referrer', program.rewards.referrer, ['percent', 'fixed']);
  const friend = rewardFields('friend', program.rewards.friend, ['none', 'percent', 'fixed', 'coupon', 'stripe_promotion_code']);
  // The API replaces the rules as a whole, so the form sends every part of them.
  return onSubmit(h('form', {},
    h('fieldset', {}, h('legend', {}, 'Referrer reward: what a customer earns for bringing a friend'), referrer.fields),
    h('fieldset', {}, h('legend', {}, 'Friend reward: what the referred friend gets (optional)'), friend.fields),
    limitFields(program.rewards),
    reviewFields(program.rewards),
    fulfilmentFields(program.rewards),
    h('button', { type: 'submit' }, 'Save rewards'),
  ), (v) => { const { limit, milestones } = readLimits(v); return save({
    rewards: {
      referrer: { ...referrer.read(v), ...(limit ? { limit } : {}) },
      milestones,
      friend: friend.read(v),
      hold_days: Number(v.get('hold_days')),
      approval: v.get('approval'),
      max_per_referrer_per_day: v.get('max_per_referrer_per_day') ? Number(v.get('max_per_referrer_per_day')) : null,
      fulfilment: { referrer: v.get('fulfilment') ?? 'manual' },
    },
  }); });
}

function deleteForm(program) {
  const confirmInput = h('input', { type: 'text', name: 'confirm', autocomplete: 'off', spellcheck: 'false' });
  const button = h('button', { type: 'submit', class: 'danger', disabled: true }, 'Delete program');
  const confirmField = field('', confirmInput);
  const form = h('form', {},
    h('p', {}, 'Deletes this program permanently, with its customers, referrals, transactions, rewards, API keys, webhooks and integrations. This cannot be undone.'),
    confirmField,
    button,
  );
  form.refresh = () => {
    confirmField.querySelector('label').textContent = `Type the program name, “${program.name}”, to confirm`;
    button.disabled = confirmInput.value !== program.name;
  };
  confirmInput.addEventListener('input', form.refresh);
  form.refresh();
  return onSubmit(form, async (v) => {
    if (v.get('confirm') !== program.name) return;
    await api('DELETE', programPath(program.id));
    announce(`Program “${program.name}” deleted.`);
    go('#/');
  });
}
