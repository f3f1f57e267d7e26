// Builds the library into libs/valkey-queue/dist: tsc for the code, then a copy of every
// .lua script beside the module that loads it (scripts are read from disk at runtime), and of the
// dashboard's page, script and stylesheet (served from disk too). The
// repository's README and LICENSE are copied into the package folder so `npm pack` ships them.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const lib = `${root}libs/valkey-queue/`;
const tsc = `${root}node_modules/typescript/bin/tsc`;

rmSync(`${lib}dist`, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', `${lib}tsconfig.lib.json`], { stdio: 'inherit' });
cpSync(`${lib}src`, `${lib}dist`, {
  recursive: true,
  filter: (source) =>
    statSync(source).isDirectory() ||
    source.endsWith('.lua') ||
    /[\\/]dashboard[\\/]assets[\\/]/.test(source),
});
for (const file of ['README.md', 'LICENSE']) copyFileSync(`${root}${file}`, `${lib}${file}`);
