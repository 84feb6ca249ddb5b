// The snippet's one contact with the page: `document.cookie`, which throws in
// sandboxed frames (then there is nothing to read and nowhere to write).
export function cookies() {
  try { return document.cookie; } catch (e) { return ''; }
}
export function set_cookie(line) {
  try { document.cookie = line; } catch (e) { /* blocked */ }
}
