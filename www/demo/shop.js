// The demo shop's page script (a file, for the same reason as stub.js).
edgeref('referral', function (code) { document.getElementById('code').textContent = code || 'none'; });
document.getElementById('signup').addEventListener('submit', function (e) {
  e.preventDefault();
  var f = new FormData(e.target);
  Promise.resolve(edgeref('signup', { key: f.get('key'), email: f.get('email') })).then(function (r) {
    document.getElementById('result').textContent = r ? JSON.stringify(r) : 'not referred';
  });
});
