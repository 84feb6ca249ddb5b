// The Worker's shape, as docs/architecture.md draws it: SQL lives only in
// stores, no function is longer than a screen, and no module imports one that
// imports it back. Read from the source, so a change that breaks a rule fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'edge', 'src');
const files = (function walk(dir) {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : n.endsWith('.rs') ? [join(dir, n)] : []));
})(src);
const rel = (f) => relative(src, f);
/** Source without `#[cfg(test)] mod tests { … }` blocks and test-only files. */
const code = (f) => readFileSync(f, 'utf8').split(/#\[cfg\(test\)\]\s*mod tests/)[0];
const prod = files.filter((f) => basename(f) !== 'tests.rs');

test('SQL statements live only in stores (store.rs) and the D1 helpers (db.rs)', () => {
  const sql = /"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|REPLACE)\s/;
  const outside = prod.filter((f) => !/(^|\/)(store|db)\.rs$/.test(rel(f)) && sql.test(code(f))).map(rel);
  assert.deepEqual(outside, []);
});

test('no function in edge/src is longer than 60 lines', () => {
  const long = [];
  for (const f of prod) {
    const lines = code(f).split('\n');
    lines.forEach((line, i) => {
      const m = line.match(/^(\s*)(pub(\([a-z]+\))? )?(async )?fn (\w+)/);
      if (!m || line.trimEnd().endsWith(';')) return;
      const indent = m[1];
      const end = lines.findIndex((l, j) => j > i && l === `${indent}}`);
      if (end - i + 1 > 60) long.push(`${rel(f)}:${i + 1} ${m[5]} (${end - i + 1} lines)`);
    });
  }
  assert.deepEqual(long, []);
});

/** The module file a `crate::a::b` path names (the deepest one that exists). */
function moduleFile(path) {
  const parts = path.split('::');
  for (let n = parts.length; n > 0; n--) {
    const base = join(src, ...parts.slice(0, n));
    for (const f of [`${base}.rs`, join(base, 'mod.rs')]) if (files.includes(f)) return f;
  }
  return null;
}

test('no two files of edge/src import each other, directly or in a circle', () => {
  const graph = new Map();
  for (const f of prod) {
    const deps = new Set();
    const text = code(f).replace(/\/\/.*$/gm, '');
    // `use crate::{a, b::c}` and `crate::a::b` in paths; `super::x` is resolved against the file's module.
    for (const m of text.matchAll(/crate::\{([^}]*)\}/g)) for (const p of m[1].split(',')) deps.add(p.trim().split(/[:\s]/)[0]);
    for (const m of text.matchAll(/crate::((?:\w+::)*\w+)/g)) deps.add(m[1]);
    const here = rel(f).replace(/(\/mod)?\.rs$/, '').split('/');
    const parent = basename(f) === 'mod.rs' ? here : here.slice(0, -1);
    for (const m of text.matchAll(/super::((?:\w+::)*\w+)/g)) deps.add([...parent.slice(0, -1), m[1]].join('::'));
    for (const m of text.matchAll(/super::\{([^}]*)\}/g)) for (const p of m[1].split(',')) deps.add([...parent.slice(0, -1), p.trim().split(/[:\s]/)[0]].join('::'));
    graph.set(f, new Set([...deps].map((d) => moduleFile(d.replaceAll('/', '::'))).filter((t) => t && t !== f)));
  }
  // Depth-first search for a cycle.
  const state = new Map();
  const cycles = [];
  const visit = (f, stack) => {
    state.set(f, 'open');
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].map(rel).join(' → '));
      else if (!state.has(t)) visit(t, [...stack, t]);
    }
    state.set(f, 'done');
  };
  for (const f of prod) if (!state.has(f)) visit(f, [f]);
  assert.deepEqual(cycles, []);
});
