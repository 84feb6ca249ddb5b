// The referrer widget and the hosted portal in real Chromium against the real Worker: a
// merchant page on another origin (www.shop.test, mapped to 127.0.0.1) calls
// `edgeref('widget', …)` with a token its server minted; the widget's script loads only then,
// renders in an open shadow root the page's CSS cannot reach, copies the link, shows a QR
// code that decodes (jsQR) to the link, and fails soft: an expired or foreign token is a
// "link expired" state, a missing target or a bad option does nothing but log.
// SCREENSHOTS=1 retakes docs/screenshots/16-widget*.png and 17-portal.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import { startWorker, startMerchantSite, launchBrowser, createProgram, merchantPage, client, eventually, ADMIN_TOKEN } from './harness.mjs';

const shots = process.env.SCREENSHOTS === '1' ? join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots') : null;
let worker, browser, site, shopOrigin, shop, alice;

before(async () => {
  worker = await startWorker();
  browser = await launchBrowser();
  site = await startMerchantSite();
  shopOrigin = `http://www.shop.test:${new URL(site.origin).port}`;
  shop = await createProgram(worker, { name: 'Tea & Co', website_url: `${shopOrigin}/`,
    rewards: { referrer: { type: 'percent', percent: 10 }, friend: { type: 'percent', percent: 10 }, hold_days: 7 } });
  const { api } = shop;
  alice = (await api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com', name: 'Alice' })).body;
  for (const [key, name, buys] of [['k-bob', 'Bob', 4000], ['k-carol', 'Carol', 0]]) {
    assert.equal((await api('POST', '/v1/customers', { key, email: `${key.slice(2)}@example.com`, name, referring_customer: { key: 'alice' } })).status, 201);
    if (buys) assert.equal((await api('POST', '/v1/transactions', { key: `t-${key}`, customer: { key }, amount: buys, currency: 'EUR' })).status, 201);
  }
  assert.equal((await api('POST', '/v1/customers/alice/credit', { amount: 1250, note: 'welcome' })).status, 201);
});
after(async () => { await browser?.close(); await site?.stop(); await worker?.stop(); });

const mint = async (key = 'alice', api = shop.api) => {
  const r = await api('POST', `/v1/customers/${key}/portal-token`);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
};

/**
 * A merchant page at `path` that calls the widget through the page's stub with `options` (JSON;
 * `target` defaults to #referral), its callback setting `window.rendered`; `css` is the page's own stylesheet.
 */
function widgetPage(path, options, { css = '', snippet = shop.program.snippet, body = '', origin = shopOrigin } = {}) {
  const call = `edgeref('widget', Object.assign({ target: '#referral' }, ${JSON.stringify(options).replace(/</g, '\\u003c')}), (ok) => { window.rendered = ok; });`;
  site.page(path, merchantPage(snippet, `<h1>My account</h1><button id="own">The page's own button</button>
<div id="referral" style="max-width:420px"></div>${body}<script>${call}</script>`,
  `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${css}</style>`));
  return `${origin}${path}`;
}

/** Opens `url` in a fresh context; the page, its requests' paths, and its console lines. */
async function open(url, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const paths = [];
  const logs = [];
  page.on('request', (r) => paths.push(new URL(r.url()).pathname));
  page.on('console', (m) => logs.push(m.text()));
  const response = await page.goto(url);
  return { context, page, paths, logs, response };
}

const widget = (page) => page.locator('#referral edgeref-widget');
/** Whether the widget rendered, once its callback said. */
const rendered = async (page) => (await (await page.waitForFunction(() => window.rendered !== undefined && [window.rendered], null, { timeout: 10_000 })).jsonValue())[0];

test("the widget renders the customer's link, reward, stats, balances and friends, loading only /s/widget.js", async () => {
  const { token } = await mint();
  const { context, page, paths } = await open(widgetPage('/account', { token }));
  assert.equal(await rendered(page), true);
  const w = widget(page);
  assert.equal(await w.getByLabel('Your referral link').inputValue(), alice.referral_link);
  await w.getByText('Your friends get 10 % off').waitFor();
  assert.equal(await w.locator('dd').allTextContents().then((t) => t.join('|')), '0|2|1|€12.50|€4.00|€0.00', 'visits, signups, paying; available, pending (10 % of 40.00), paid');
  const friends = await w.locator('li').allTextContents();
  assert.equal(friends.length, 2);
  assert.match(friends.join('\n'), /Bob · b•••@example\.com\s*Bought/);
  assert.match(friends.join('\n'), /Carol · c•••@example\.com\s*Signed up/);
  assert.ok(!friends.join().includes('k-bob'), 'no key');
  // Open shadow root: reachable by tests and assistive tech; the host page's DOM holds nothing else.
  assert.equal(await page.evaluate(() => document.querySelector('#referral edgeref-widget').shadowRoot.mode), 'open');
  assert.equal(await page.evaluate(() => document.querySelector('#referral').textContent), '');
  // Share: a prefilled message with the link and the friend reward; links open safely in a new tab.
  const x = await w.locator('a[data-share="X"]').getAttribute('href');
  const text = new URL(x).searchParams.get('text');
  assert.ok(text.includes(alice.referral_link) && text.includes('10 % off') && text.includes('Tea & Co'), text);
  for (const name of ['Email', 'X', 'Facebook', 'LinkedIn', 'WhatsApp']) {
    const a = w.locator(`a[data-share="${name}"]`);
    assert.ok((await a.getAttribute('href')).includes(encodeURIComponent(alice.referral_link)), name);
    if (name !== 'Email') assert.equal(await a.getAttribute('rel'), 'noopener noreferrer', name);
  }
  assert.match(await w.locator('a[data-share="Email"]').getAttribute('href'), /^mailto:\?subject=.+&body=/);
  // Loaded on demand: the widget's script (content-hashed, immutable, CORS *), never the wasm module.
  const script = paths.find((p) => p === '/s/widget.js');
  assert.ok(script, paths.join(', '));
  assert.ok(!paths.some((p) => p.includes('snippet_bg')), `the module did not load: ${paths.join(', ')}`);
  const src = await page.evaluate(() => [...document.scripts].map((s) => s.src).find((s) => s.includes('/s/widget.js')));
  assert.match(src, /\/s\/widget\.js\?v=[0-9a-f]{8}$/);
  const served = await fetch(src);
  assert.equal(served.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(served.headers.get('access-control-allow-origin'), '*');
  assert.match(served.headers.get('content-type'), /^text\/javascript/);
  // The keyboard reaches the link, copy, and share controls in reading order.
  await page.locator('#own').focus();
  const order = [];
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(() => { const a = document.activeElement.shadowRoot?.activeElement; return a && (a.id || a.textContent); }));
  }
  assert.deepEqual(order, ['l', 'Copy link', order[2]]);
  assert.ok(['Share…', 'Email'].includes(order[2]), order[2]);
  if (shots) {
    await page.setViewportSize({ width: 1000, height: 1100 });
    await page.evaluate(() => { document.activeElement.blur(); document.querySelector('#referral').style.maxWidth = '360px'; });
    await w.screenshot({ path: join(shots, '16-widget.png') });
  }
  await context.close();
});

test('the copy button puts the link on the clipboard and says so', async () => {
  // The Clipboard API needs a secure context: this shop is on http://localhost (another origin than the Worker's 127.0.0.1).
  const local = await createProgram(worker, { website_url: `${site.origin}/` });
  assert.equal((await local.api('POST', '/v1/customers', { key: 'alice', email: 'alice@example.com' })).status, 201);
  const link = (await local.api('GET', '/v1/customers/alice')).body.referral_link;
  const { token } = await mint('alice', local.api);
  const { context, page } = await open(widgetPage('/copy', { token }, { snippet: local.program.snippet, origin: site.origin }));
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.origin });
  assert.equal(await rendered(page), true);
  await page.evaluate(() => navigator.clipboard.writeText('something else'));
  await widget(page).getByRole('button', { name: 'Copy link' }).click();
  await widget(page).getByRole('status').filter({ hasText: 'Link copied' }).waitFor({ state: 'attached' });
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
  await context.close();
});

test('the QR code decodes to the referral link', async () => {
  const { token } = await mint();
  const { context, page } = await open(widgetPage('/qr', { token }));
  assert.equal(await rendered(page), true);
  const img = widget(page).getByRole('img', { name: 'QR code of your referral link' });
  assert.match(await img.getAttribute('src'), /^data:image\/svg\+xml;charset=utf-8,/);
  // Rasterised in the page as the browser draws it, decoded here by jsQR.
  const { width, height, data } = await page.evaluate(async () => {
    const src = document.querySelector('#referral edgeref-widget').shadowRoot.querySelector('img').src;
    const image = new Image();
    image.src = src;
    await image.decode();
    const canvas = Object.assign(document.createElement('canvas'), { width: 400, height: 400 });
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(image, 0, 0, 400, 400);
    return { width: 400, height: 400, data: Array.from(ctx.getImageData(0, 0, 400, 400).data) };
  });
  const code = jsQR(Uint8ClampedArray.from(data), width, height);
  assert.ok(code, 'a QR code was found');
  assert.equal(code.data, alice.referral_link);
  await context.close();
});

test("the page's own CSS cannot restyle or hide the widget", async () => {
  const { token } = await mint();
  const css = `body *:not(#referral) { color: rgb(255, 0, 0) !important; display: none !important; font-family: serif !important }
    button, input, a { background: rgb(255, 0, 0) !important; visibility: hidden !important; font-size: 40px !important }
    edgeref-widget { opacity: 0 !important; } div { border: 9px solid red }`;
  const { context, page } = await open(widgetPage('/styled', { token }, { css }));
  assert.equal(await rendered(page), true);
  assert.equal(await page.locator('#own').isVisible(), false, "the page's rules do apply to the page");
  const w = widget(page);
  const copy = w.getByRole('button', { name: 'Copy link' });
  assert.equal(await copy.isVisible(), true);
  assert.equal(await w.getByLabel('Your referral link').isVisible(), true);
  const style = await copy.evaluate((b) => { const s = getComputedStyle(b); return { color: s.color, bg: s.backgroundColor, size: s.fontSize, vis: s.visibility }; });
  assert.notEqual(style.color, 'rgb(255, 0, 0)');
  assert.notEqual(style.bg, 'rgb(255, 0, 0)');
  assert.notEqual(style.size, '40px');
  assert.equal(style.vis, 'visible');
  const host = await page.evaluate(() => { const s = getComputedStyle(document.querySelector('edgeref-widget')); return [s.display, s.opacity, s.containerType]; });
  assert.deepEqual(host, ['block', '1', 'inline-size']);
  assert.notEqual(await w.locator('h2').evaluate((e) => getComputedStyle(e).color), 'rgb(255, 0, 0)');
  await context.close();
});

test('a tampered, malformed or foreign token shows "link expired" and the page keeps working', async () => {
  const { token } = await mint();
  const gone = await createProgram(worker, { website_url: `${shopOrigin}/gone/` });
  assert.equal((await gone.api('POST', '/v1/customers', { key: 'x', email: 'x@example.com' })).status, 201);
  const goneToken = (await mint('x', gone.api)).token;
  assert.equal((await client(worker.url, ADMIN_TOKEN)('DELETE', `/v1/programs/${gone.program.id}`)).status, 200);
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  const cases = { tampered: token.slice(0, -1) + last, malformed: 'not a token\n<script>', number: 42, missing: undefined, deleted_program: goneToken };
  for (const [name, bad] of Object.entries(cases)) {
    const { context, page } = await open(widgetPage(`/bad-${name}`, { token: bad }));
    assert.equal(await rendered(page), false, name);
    const alert = widget(page).getByRole('alert');
    assert.match(await alert.textContent(), /This link has expired/, name);
    assert.equal(await widget(page).locator('input').count(), 0, `${name}: no link shown`);
    await page.locator('#own').click({ timeout: 2000 });
    assert.equal(await page.evaluate(() => document.querySelector('h1').textContent), 'My account', name);
    await context.close();
  }
});

test('a target that does not exist logs in debug mode and does nothing else; bad options fall back', async () => {
  const { token } = await mint();
  const url = widgetPage('/no-target', { token, target: '#nope' });
  const { context, page, logs } = await open(`${url}?edgeref_debug=1`);
  assert.equal(await rendered(page), false);
  assert.ok(logs.some((l) => l.includes('edgeref: widget: no element for target #nope')), logs.join('\n'));
  assert.equal(await page.locator('edgeref-widget').count(), 0);
  assert.equal(await page.evaluate(() => edgeref('referral')), null, 'the snippet still answers');
  await context.close();

  for (const target of ['<<not a selector', '', null]) {
    const quiet = await open(widgetPage('/bad-target', { token, target }));
    assert.equal(await rendered(quiet.page), false, String(target));
    assert.equal(quiet.logs.filter((l) => l.startsWith('edgeref')).length, 0, 'silent without debug');
    await quiet.context.close();
  }

  // An over-long or bogus locale is English; a real one formats numbers, `messages` translates.
  for (const locale of ['x'.repeat(5000), 'en-US-<script>', 42]) {
    const o = await open(widgetPage('/locale', { token, locale, accent: 'red;}</style><script>alert(1)</script>' }));
    assert.equal(await rendered(o.page), true);
    assert.equal(await widget(o.page).getByRole('button', { name: 'Copy link' }).count(), 1);
    assert.equal(await widget(o.page).locator('.w').getAttribute('lang'), 'en');
    await o.context.close();
  }
  const de = await open(widgetPage('/de', { token, locale: 'de-DE', accent: '#7c3aed', messages: { copy: 'Link kopieren', linkLabel: 'Dein Empfehlungslink' } }));
  assert.equal(await rendered(de.page), true);
  const w = widget(de.page);
  assert.equal(await w.getByLabel('Dein Empfehlungslink').inputValue(), alice.referral_link);
  assert.equal(await w.getByRole('button', { name: 'Link kopieren' }).evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(124, 58, 237)');
  assert.match(await w.locator('dd').nth(3).textContent(), /^12,50\s€$/);
  await de.context.close();
});

test('the widget fits a 375 px phone without sideways scrolling', async () => {
  const { token } = await mint();
  const { context, page } = await open(widgetPage('/phone', { token }), { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  assert.equal(await rendered(page), true);
  const box = await widget(page).locator('.w').boundingBox();
  assert.ok(box.width <= 375, `${box.width}`);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), true);
  const copy = await widget(page).getByRole('button', { name: 'Copy link' }).boundingBox();
  assert.ok(copy.height >= 44, 'a touch-sized target');
  if (shots) await page.screenshot({ path: join(shots, '16-widget-phone.png'), fullPage: true });
  await context.close();
});

test('the hosted portal renders the widget with the program name, noindex, no-store and no referrer', async () => {
  const { portal_url } = await mint();
  const { context, page, response } = await open(portal_url);
  assert.equal(response.status(), 200);
  const h = response.headers();
  assert.match(h['content-type'], /^text\/html/);
  assert.equal(h['x-robots-tag'], 'noindex, nofollow');
  assert.equal(h['referrer-policy'], 'no-referrer');
  assert.equal(h['cache-control'], 'no-store');
  assert.match(h['content-security-policy'], /script-src 'self'/);
  assert.equal(await page.title(), 'Tea & Co · Refer a friend');
  assert.equal(await page.locator('h1').textContent(), 'Tea & Co');
  assert.equal(await page.locator('meta[name=robots]').getAttribute('content'), 'noindex, nofollow');
  const w = page.locator('#edgeref-portal edgeref-widget');
  assert.equal(await w.getByLabel('Your referral link').inputValue(), alice.referral_link);
  const html = await response.text();
  assert.ok(!html.includes(new URL(portal_url).searchParams.get('token')), 'the token is not echoed into the HTML');
  // Wide enough: the QR code moves beside the link (a container query on the widget's own width).
  await page.setViewportSize({ width: 900, height: 1000 });
  const [input, qr] = await Promise.all([w.getByLabel('Your referral link').boundingBox(), w.getByRole('img').boundingBox()]);
  assert.ok(qr.x > input.x + input.width && qr.y < input.y + input.height, `${JSON.stringify(input)} ${JSON.stringify(qr)}`);
  if (shots) await page.screenshot({ path: join(shots, '17-portal.png'), fullPage: true });
  await context.close();
});

test('the portal: names are escaped, an unknown program is a 404, a bad token shows "link expired", decimals follow the currency', async () => {
  const yen = await createProgram(worker, { name: '<b>Yen</b> & "Co"', currency: 'JPY', website_url: 'https://yen.example/' });
  assert.equal((await yen.api('POST', '/v1/customers', { key: 'y', email: 'y@example.com' })).status, 201);
  assert.equal((await yen.api('POST', '/v1/customers/y/credit', { amount: 250 })).status, 201);
  const { portal_url } = await mint('y', yen.api);
  const raw = await fetch(portal_url);
  const html = await raw.text();
  assert.ok(html.includes('<h1>&lt;b&gt;Yen&lt;/b&gt; &amp; "Co"</h1>'), html);
  const { context, page } = await open(portal_url);
  assert.equal(await page.locator('h1').textContent(), '<b>Yen</b> & "Co"');
  assert.equal(await page.locator('#edgeref-portal edgeref-widget dd').nth(3).textContent(), '¥250', 'no decimals for JPY');
  await page.goto(portal_url.replace(/token=.*/, 'token=garbage'));
  assert.match(await page.locator('#edgeref-portal edgeref-widget').getByRole('alert').textContent(), /This link has expired/);
  await page.goto(portal_url.replace(/token=.*/, 'token='));
  assert.match(await page.locator('#edgeref-portal edgeref-widget').getByRole('alert').textContent(), /This link has expired/);
  // No token at all: sign-in by e-mail code where the program sends codes; here (e-mails off) where to get a link.
  await page.goto(portal_url.replace(/\?token=.*/, ''));
  assert.equal(await page.locator('main p').textContent(), 'Open the link <b>Yen</b> & "Co" sent you to see your referral link and rewards.');
  assert.equal(await page.locator('#edgeref-portal').count(), 0);
  await context.close();
  const unknown = await fetch(`${worker.url}/portal/nope_404`);
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error.code, 'not_found');
});

test('the dashboard shows the two steps with copy buttons and previews the widget for a chosen customer', async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 }, locale: 'en-US' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: worker.url });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${worker.url}/`);
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Programs', level: 1 }).waitFor();
  await page.goto(`${worker.url}/#/p/${encodeURIComponent(shop.program.id)}/integration`);
  const section = page.locator('#widget');
  await section.getByRole('heading', { name: 'Referral widget' }).waitFor();
  assert.match(await section.locator('#widget-mint-code').textContent(), new RegExp(`^curl -s -X POST ${worker.url}/v1/customers/CUSTOMER_KEY/portal-token`));
  await section.getByRole('button', { name: 'Copy widget code' }).click();
  await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /^<div id="referral"><\/div>\n<script>edgeref\('widget', \{token: 'TOKEN_FROM_YOUR_SERVER', target: '#referral'\}\)<\/script>$/);
  // An unknown customer is the API's 404, shown in the form; a known one is previewed.
  await section.getByLabel('Customer key').fill('nobody');
  await section.getByRole('button', { name: 'Preview widget' }).click();
  await section.getByRole('alert').filter({ hasText: /not found/i }).waitFor();
  await section.getByLabel('Customer key').fill('alice');
  await section.getByRole('button', { name: 'Preview widget' }).click();
  const frame = page.frameLocator('#widget-preview iframe');
  await frame.locator('edgeref-widget').getByText('Your friends get 10 % off').waitFor();
  assert.equal(await frame.locator('edgeref-widget').getByLabel('Your referral link').inputValue(), alice.referral_link);
  if (shots) {
    await page.evaluate(() => { document.activeElement?.blur(); document.getElementById('status').textContent = ''; });
    await section.screenshot({ path: join(shots, '18-widget-dashboard.png') });
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('on a referred view the module loads as usual, and the widget works before and after it runs', async () => {
  const { token } = await mint();
  const url = widgetPage('/referred', { token });
  const { context, page, paths } = await open(`${url}?ref=${alice.referral_code}`);
  assert.equal(await rendered(page), true, 'the stub-queued call, not held up by the module');
  // The module ran for the referral code: its beacon was sent (and it replaced window.edgeref).
  await eventually(async () => paths.includes('/t/visit') && await page.evaluate(() => !('q' in window.edgeref)));
  assert.ok(paths.includes('/s/snippet_bg.wasm'));
  // A later call goes through the module's `edgeref`, which hands it back to the loader.
  await page.evaluate(() => { const d = document.createElement('div'); d.id = 'later'; document.body.append(d); });
  assert.equal(await page.evaluate((token) => edgeref('widget', { token, target: '#later' }), token), true);
  assert.equal(await page.locator('#later edgeref-widget').getByLabel('Your referral link').inputValue(), alice.referral_link);
  assert.equal(paths.filter((p) => p === '/s/widget.js').length, 1, 'the widget script once');
  await context.close();
});

test('every text in the widget has a contrast of at least 4.5:1 against its background', async () => {
  const { token } = await mint();
  const { context, page } = await open(widgetPage('/contrast', { token }));
  assert.equal(await rendered(page), true);
  const ratios = await page.evaluate(() => {
    const rgb = (c) => c.match(/[\d.]+/g).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const background = (el) => {
      for (let e = el; e; e = e.parentElement || e.getRootNode().host) {
        const c = getComputedStyle(e).backgroundColor;
        if (rgb(c)[3] !== 0 && c !== 'transparent') return c;
      }
      return 'rgb(255, 255, 255)';
    };
    const root = document.querySelector('#referral edgeref-widget').shadowRoot;
    return [...root.querySelectorAll('h2, h3, p, label, input, button, a, dt, dd, li span')].filter((e) => e.textContent.trim() || e.value).map((e) => {
      const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(rgb(background(e)))];
      return { text: (e.textContent || e.value).trim().slice(0, 30), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
    });
  });
  assert.ok(ratios.length > 20, `${ratios.length} texts`);
  for (const { text, ratio } of ratios) assert.ok(ratio >= 4.5, `"${text}": ${ratio.toFixed(2)}:1`);
  await context.close();
});

test("where the browser can share natively, Share… hands it the link and the message", async () => {
  const { token } = await mint();
  const context = await browser.newContext();
  // Headless Chromium on Linux has no share sheet: this stands in for the browser's own.
  await context.addInitScript(() => { navigator.share = (data) => { window.shared = data; return Promise.resolve(); }; });
  const page = await context.newPage();
  await page.goto(widgetPage('/share', { token }));
  assert.equal(await rendered(page), true);
  await widget(page).getByRole('button', { name: 'Share…' }).click();
  const shared = await page.evaluate(() => window.shared);
  assert.equal(shared.url, alice.referral_link);
  assert.match(shared.text, /10 % off/);
  assert.ok(shared.text.includes(alice.referral_link));
  await context.close();
});
