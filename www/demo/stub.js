// The demo shop's queue stub and tag, as a file of this origin: the page's
// Content-Security-Policy (www/_headers) allows script from this origin alone, because
// the demo runs on the origin that serves the dashboard, and a program setting (its
// tracking endpoint) must never choose script that runs there (docs/security.md).
// A real site pastes one fixed tag: <script async src="https://EDGE/s/PUBLIC_ID.js">.
// This demo serves every program, so it adds that tag for ?program=PUBLIC_ID
// (remembered for later visits) and queues calls exactly as a site would.
window.edgeref = window.edgeref || function () { (edgeref.q = edgeref.q || []).push(arguments) };
(function () {
  var p = new URLSearchParams(location.search).get('program') || localStorage.getItem('edgeref_demo_program');
  if (!p || !/^[a-z0-9]{1,32}$/.test(p)) return;
  localStorage.setItem('edgeref_demo_program', p);
  var s = document.createElement('script');
  s.async = true;
  s.src = '/s/' + p + '.js';
  document.head.appendChild(s);
})();
