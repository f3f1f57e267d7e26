// Builds the library into libs/valkey-queue/dist: tsc for the code, then a copy of every
// .lua script beside the module that loads it (scripts are read from disk at runtime).
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const lib = fileURLToPath(new URL('../libs/valkey-queue/', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

rmSync(`${lib}dist`, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', `${lib}tsconfig.lib.json`], { stdio: 'inherit' });
cpSync(`${lib}src`, `${lib}dist`, {
  recursive: true,
  filter: (source) => statSync(source).isDirectory() || source.endsWith('.lua'),
});
