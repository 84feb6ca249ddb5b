// The hosted portal's sign-in (`/portal/{public_id}`, edge/src/portal/page.rs): an e-mail
// address, then the six-digit code sent to it, for a session cookie; then the page again,
// now showing the widget. The e-mail's one-click link carries both in its fragment
// (`#email=…&code=…`: never sent to a server, never in a log) and signs in at once.
// Also the sign-out button of a signed-in page.
(() => {
  const base = location.pathname.replace(/\/+$/, '');
  const post = (path, body) =>
    fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}), credentials: 'same-origin' });

  const out = document.getElementById('edgeref-sign-out');
  if (out) out.addEventListener('submit', (e) => { e.preventDefault(); post('/logout').then(() => location.replace(base)); });

  const form = document.getElementById('edgeref-sign-in');
  if (!form) return;
  const status = document.getElementById('edgeref-status');
  const email = form.elements.email;
  const code = form.elements.code;
  const step = (name) => form.querySelectorAll('[data-step]').forEach((d) => { d.hidden = d.dataset.step != name; });
  const say = (text) => { status.textContent = text; };

  async function signIn(address, typed) {
    say('Signing in…');
    const r = await post('/session', { email: address, code: typed });
    if (r.ok) return location.replace(base);
    const e = await r.json().catch(() => ({}));
    say(r.status == 429 ? 'Too many tries. Wait a few minutes, then ask for a new code.' : (e.error && e.error.message) || 'That did not work. Ask for a new code.');
    code.select();
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!form.querySelector('[data-step=code]').hidden) return signIn(email.value.trim(), code.value.trim());
    if (!email.checkValidity() || !email.value.trim()) return say('Enter your e-mail address.');
    say('Sending…');
    const r = await post('/code', { email: email.value.trim() });
    if (r.status == 202) {
      step('code');
      say('If ' + email.value.trim() + ' can sign in here, a code is on its way. It works for 10 minutes.');
      code.focus();
    } else {
      const e = await r.json().catch(() => ({}));
      say(r.status == 429 ? 'Too many codes asked for. Wait a few minutes.' : (e.error && e.error.message) || 'Something went wrong. Please try again.');
    }
  });

  // The one-click link: `#email=…&code=…`.
  const link = new URLSearchParams(location.hash.slice(1));
  if (link.get('email') && link.get('code')) {
    history.replaceState(null, '', base);
    email.value = link.get('email');
    code.value = link.get('code');
    step('code');
    signIn(email.value, code.value);
  }
})();
