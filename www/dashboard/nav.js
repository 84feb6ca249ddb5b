// Navigation, the one thing screens ask of the shell: go to a route, or say the
// program they show has changed. Screens import this, never app.js; the shell
// (app.js) connects its router and program header here at start.

const shell = { route() {}, programChanged() {} };

/** The shell's side: `route()` shows the current hash, `programChanged(program)` refreshes the header. */
export function connect(handlers) {
  Object.assign(shell, handlers);
}

/** `location.hash = …`, re-rendering even when the hash does not change. */
export function go(hash) {
  if (location.hash === hash) shell.route();
  else location.hash = hash;
}

/** A screen saved the program: the shell's header (name, website) follows. */
export function programChanged(program) {
  shell.programChanged(program);
}
