// Lints the package as npm would publish it: builds the library, packs it, then runs publint
// (package.json fields, exports, files) and @arethetypeswrong/cli (types resolve under node10,
// node16/nodenext from CommonJS and ESM, and bundler). Run by `npm run check:package` and CI.
//
// `cjs-resolves-to-esm` is ignored on purpose: the package is ESM-only and its engines range
// (^20.19.0 || >=22.12.0) is exactly where Node loads ESM with require() by default; attw still
// reports require(esm) as an error (arethetypeswrong issue #252). scripts/consumer-test.mjs checks
// that a CommonJS Nest app compiles against the package and runs it for real.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const lib = join(root, 'libs/valkey-queue');
const bin = (name) => join(root, 'node_modules/.bin', name);
const run = (command, args, cwd = root) => execFileSync(command, args, { cwd, stdio: 'inherit' });

/** Builds the library (unless run with --no-build) and packs it into `destination`; returns the tarball's path. */
export function buildAndPack(destination) {
  if (!process.argv.includes('--no-build')) run(process.execPath, [join(root, 'scripts/build-lib.mjs')]);
  const output = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], {
    cwd: lib,
    encoding: 'utf8',
  });
  return join(destination, output.trim().split('\n').at(-1));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const scratch = mkdtempSync(join(tmpdir(), 'vq-check-package-'));
  try {
    const tarball = buildAndPack(scratch);
    run(bin('publint'), ['run', '--strict', tarball]);
    run(bin('attw'), [tarball, '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table-flipped']);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
