import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/** Where Debian's `postgresql-<n>` packages put their server binaries (not on PATH). */
const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The directory holding `initdb` and `postgres`. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/**
 * Finds `initdb` and `postgres`: `explicit` (the `binDir` option), else env POSTGRES_BIN_DIR, else the
 * directory of `postgres` on PATH, else the newest Debian `/usr/lib/postgresql/<n>/bin`. Undefined when
 * none is installed; throws when an explicitly named directory lacks them.
 */
export async function findPostgresBinaries(explicit?: string): Promise<PostgresBinaries | undefined> {
  const requested = explicit ?? (process.env.POSTGRES_BIN_DIR || undefined);
  if (requested !== undefined) {
    const found = await binariesIn(requested);
    if (!found) {
      const origin = explicit !== undefined ? 'the binDir option' : 'POSTGRES_BIN_DIR';
      throw new ValkeyHarnessError(
        `${JSON.stringify(requested)} (from ${origin}) holds no executable initdb and postgres`,
      );
    }
    return found;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const found = await binariesIn(dir);
    if (found) return found;
  }
  const versions = await readdir(DEBIAN_ROOT).catch(() => [] as string[]);
  for (const version of versions.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))) {
    const found = await binariesIn(join(DEBIAN_ROOT, version, 'bin'));
    if (found) return found;
  }
  return undefined;
}

async function binariesIn(dir: string): Promise<PostgresBinaries | undefined> {
  const initdb = join(dir, 'initdb');
  const postgres = join(dir, 'postgres');
  const executable = (path: string): Promise<boolean> =>
    access(path, constants.X_OK).then(
      () => true,
      () => false,
    );
  return (await executable(initdb)) && (await executable(postgres)) ? { initdb, postgres } : undefined;
}
