// The browser code's module graph (www/**/*.js): no import circle, every
// relative import resolves, the dashboard's screens reach the shell only
// through nav.js, dom.js imports nothing, and a screen's sub-panels
// (screens/{screen}/*.js) belong to that screen alone. Static: reads the files,
// no Worker, no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const www = join(root, 'www');

/** Every .js/.mjs file under `dir`. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.m?js$/.test(e.name) ? [path] : [];
  });
}

// `import … from '…'`, `import '…'`, `export … from '…'` and `import('…')`; comments are dropped first.
const IMPORT = /(?:^|[;\s}])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative modules `file` imports, as absolute paths (bare specifiers have no place in www/). */
export function importsOf(file, text = readFileSync(file, 'utf8')) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  return [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2]).map((spec) => {
    assert.match(spec, /^\.{1,2}\//, `${relative(root, file)} imports "${spec}": only relative imports are served`);
    return resolve(dirname(file), spec);
  });
}

/** A circle in `graph` (file → imported files) as a list of files, first repeated last; or null. */
export function findCycle(graph) {
  const state = new Map(); // undefined: unseen, 1: on the current path, 2: done
  const path = [];
  const visit = (file) => {
    state.set(file, 1);
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 1) return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    path.pop();
    state.set(file, 2);
    return null;
  };
  for (const file of graph.keys()) {
    if (state.has(file)) continue;
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

const graph = new Map(sources(www).map((file) => [file, importsOf(file)]));
const name = (file) => relative(www, file);

test('the checker sees imports and finds a circle', () => {
  const a = join(www, 'a.js');
  const b = join(www, 'b.js');
  assert.deepEqual(importsOf(a, "import { x } from './b.js';\nimport * as y from \"./c/d.js\";\nexport { z } from '../e.js';\n// import './commented.js';\nimport('./lazy.js');"),
    [b, join(www, 'c', 'd.js'), join(root, 'e.js'), join(www, 'lazy.js')]);
  assert.deepEqual(findCycle(new Map([[a, [b]], [b, [a]]])), [a, b, a]);
  assert.equal(findCycle(new Map([[a, [b]], [b, []]])), null);
});

test('the dashboard imports nav.js and the screens (else this check reads nothing)', () => {
  const app = graph.get(join(www, 'dashboard', 'app.js'));
  assert.ok(app?.includes(join(www, 'dashboard', 'nav.js')));
  assert.ok(app.filter((f) => f.includes('/screens/')).length >= 7);
});

test('every relative import in www/ points at a file', () => {
  for (const [file, imports] of graph) {
    for (const target of imports) assert.ok(existsSync(target), `${name(file)} imports ${relative(www, target)}, which does not exist`);
  }
});

test('no import circle in www/', () => {
  const cycle = findCycle(graph);
  assert.equal(cycle, null, `import circle: ${cycle?.map(name).join(' → ')}`);
});

test('no module imports the dashboard shell; screens reach it through nav.js', () => {
  const shell = join(www, 'dashboard', 'app.js');
  const importers = [...graph].filter(([, imports]) => imports.includes(shell)).map(([file]) => name(file));
  assert.deepEqual(importers, []);
});

test('dom.js imports nothing: the error it shows is recognised by its shape, not by api.js', () => {
  assert.deepEqual(graph.get(join(www, 'dashboard', 'dom.js')), []);
});

test("a sub-panel (screens/{screen}/*.js) is imported only by its screen (screens/{screen}.js)", () => {
  const screens = join(www, 'dashboard', 'screens');
  const panels = [...graph.keys()].filter((f) => dirname(dirname(f)) === screens);
  assert.ok(panels.length >= 4, 'the sub-panels are found');
  for (const panel of panels) {
    const owner = `${dirname(panel)}.js`;
    const importers = [...graph].filter(([, imports]) => imports.includes(panel)).map(([file]) => file);
    assert.deepEqual(importers.map(name), [name(owner)], `${name(panel)} belongs to ${name(owner)}`);
  }
});
