// A referral link as the Worker builds it (shared/src/link.rs, `build`), for the
// settings' live preview. Both are checked against the same cases,
// shared/tests/link_vectors.json (tests/link_preview.test.mjs and link.rs's tests):
// a change to one that the other does not follow fails a test.

/**
 * `website_url?{param}={code}` (an existing query kept, an old value of the same
 * parameter dropped) or `website_url/{param}/{code}` (before any query); a fragment stays last.
 */
export function referralLink(websiteUrl, format, param, code) {
  const [rest, fragment] = splitOnce(websiteUrl, '#');
  const [base, query] = splitOnce(rest, '?');
  let link;
  if (format === 'path') {
    link = `${base.replace(/\/+$/, '')}/${param}/${code}${query !== undefined ? `?${query}` : ''}`;
  } else {
    const kept = (query ?? '').split('&').filter((pair) => pair && !isParam(splitOnce(pair, '=')[0], param));
    link = `${base}?${[...kept, `${param}=${code}`].join('&')}`;
  }
  return fragment !== undefined ? `${link}#${fragment}` : link;
}

/**
 * Whether a query key percent-decodes to `param`. A key that does not decode (`%zz`, or
 * bytes that are not UTF-8) is not it: the Worker decodes it byte by byte, and what it
 * gets then still holds a `%` or a byte above ASCII, which a parameter name never has.
 */
function isParam(key, param) {
  try {
    return decodeURIComponent(key) === param;
  } catch {
    return false;
  }
}

function splitOnce(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
