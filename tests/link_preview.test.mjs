// The settings' link preview (www/dashboard/link.js) against the cases the Worker's
// own link builder is tested with (shared/tests/link_vectors.json, read by the tests
// in shared/src/link.rs): the preview shows the link customers will get. Pure Node.js:
// no Worker, no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { referralLink } from '../www/dashboard/link.js';

const vectors = JSON.parse(readFileSync(new URL('../shared/tests/link_vectors.json', import.meta.url), 'utf8'));

test('the preview builds every shared case as the Worker does', () => {
  assert.ok(vectors.length >= 12, 'the cases are read');
  for (const v of vectors) {
    assert.equal(referralLink(v.website_url, v.format, v.param, v.code), v.link, JSON.stringify(v));
  }
});
