// Fails when the dashboard's modules import each other in a cycle, naming each cycle. Every
// import counts: static, dynamic (import('./x')) and type-only, since a cycle of types still
// ties two modules together. Imports are read by TypeScript's own scanner (ts.preProcessFile).
//   node web/scripts/check_import_cycles.mjs [SOURCE_DIR]    (default: web/src)
// Run by ctest (web_import_cycles); needs web/node_modules (`make web`).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(process.argv[2] ?? path.join(web, 'src'));
let ts;
try {
  ts = createRequire(path.join(web, 'package.json'))('typescript');
} catch {
  console.error('check_import_cycles: web/node_modules has no typescript: run `make web` (npm ci in web/)');
  process.exit(2);
}

const files = fs
  .readdirSync(root, { recursive: true })
  .filter((f) => /\.tsx?$/.test(f))
  .map((f) => path.join(root, f));

// A relative specifier to the module file it names; packages and assets (CSS) are left out.
function resolve(from, specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')])
    if (files.includes(candidate)) return candidate;
  return null;
}

const edges = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  edges.set(file, [...new Set(importedFiles.map((i) => resolve(file, i.fileName)).filter(Boolean))]);
}

// Tarjan's strongly connected components: every component of more than one module, or of
// one that imports itself, holds a cycle.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function visit(v) {
  index.set(v, counter);
  low.set(v, counter++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v)) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v), index.get(w)));
    }
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    component.push(w);
  } while (w !== v);
  if (component.length > 1 || edges.get(v).includes(v)) cycles.push(component);
}
for (const file of files) if (!index.has(file)) visit(file);

// One cycle through each component, as the chain of imports that closes it.
function chain(component) {
  const inside = new Set(component);
  const start = component[component.length - 1];
  const seen = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of edges.get(v)) {
      if (w === start) {
        const path_ = [start];
        for (let u = v; u !== start; u = seen.get(u)) path_.splice(1, 0, u);
        return [...path_, start];
      }
      if (inside.has(w) && !seen.has(w)) {
        seen.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const name = (f) => path.relative(root, f);
if (cycles.length) {
  console.error(`${cycles.length} import cycle(s) in ${path.relative(process.cwd(), root) || '.'}:`);
  for (const c of cycles) {
    const shown = chain(c);
    const rest = c.filter((f) => !shown.includes(f));
    console.error(`  ${shown.map(name).join(' -> ')}${rest.length ? ` (and through ${rest.map(name).join(', ')})` : ''}`);
  }
  process.exit(1);
}
console.log(`no import cycles among ${files.length} modules in ${path.relative(process.cwd(), root) || '.'}`);
