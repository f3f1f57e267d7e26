// Keeps the library's layering true (docs/architecture.md, "Layers"): every import in
// libs/valkey-queue/src points to the same layer or a lower one, and no files import each other
// in a circle. Type-only imports count too: a circle of types is a circle of design.
// Run by `npm run lint`; prints each offending import and exits 1.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LIBRARY_SOURCES = fileURLToPath(new URL('../libs/valkey-queue/src/', import.meta.url));

/**
 * Lowest first. A file belongs to the longest prefix that names it; a folder or file may import
 * only from its own layer or the layers before it.
 */
export const LAYERS = [
  ['errors', 'utils', 'valkey-queue.constants.ts'],
  ['codec', 'envelope', 'lua'],
  ['interfaces'],
  ['config'],
  ['connection'],
  ['signals', 'delayed', 'ordering'],
  ['admin'],
  ['observability'],
  ['decorators'],
  ['sender', 'ownership'],
  ['workers'],
  ['scheduler'],
  ['history'],
  ['health'],
  ['valkey-queue.module-definition.ts', 'valkey-queue.module.ts', 'lifecycle', 'index.ts'],
  ['dashboard'],
  ['testing'],
];

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    const isSource = entry.name.endsWith('.ts') && !/\.spec(-helper)?\.ts$/.test(entry.name);
    return isSource ? [path] : [];
  });
}

/** The layer index and the unit (prefix) of a file relative to src/. */
function placeOf(file) {
  let best = { layer: -1, unit: '' };
  LAYERS.forEach((units, layer) => {
    for (const unit of units) {
      const matches = file === unit || file.startsWith(`${unit}/`);
      if (matches && unit.length > best.unit.length) best = { layer, unit };
    }
  });
  return best;
}

function importsOf(root, file) {
  const text = readFileSync(join(root, file), 'utf8');
  const targets = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2];
    const target = relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.ts');
    targets.push(target);
  }
  return targets;
}

/** Every layer breach and circle under `root` (the library's sources unless told). */
export function checkArchitecture(root = LIBRARY_SOURCES) {
  const files = sourceFiles(root).map((path) => relative(root, path));
  const graph = new Map(files.map((file) => [file, importsOf(root, file)]));
  const problems = [];

  for (const [file, targets] of graph) {
    const from = placeOf(file);
    if (from.layer < 0) problems.push(`${file}: in no layer (add its folder to LAYERS)`);
    for (const target of targets) {
      const to = placeOf(target);
      if (to.layer > from.layer) {
        problems.push(
          `${file} -> ${target}: '${from.unit}' (layer ${from.layer}) imports '${to.unit}' (layer ${to.layer})`,
        );
      }
    }
  }

  // Circles between files: depth-first search, reporting each back edge's circle once.
  const state = new Map();
  const stack = [];
  const visit = (file) => {
    state.set(file, 'open');
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (state.get(target) === 'open') {
        problems.push(`circle: ${[...stack.slice(stack.indexOf(target)), target].join(' -> ')}`);
      } else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);

  return { files: files.length, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, problems } = checkArchitecture();
  if (problems.length > 0) {
    console.error(
      `architecture: ${problems.length} problem(s) in ${files} files (see docs/architecture.md, "Layers")`,
    );
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  console.log(`architecture: ${files} files, layers respected, no import circles`);
}
