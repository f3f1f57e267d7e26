import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/** Server binaries looked up on PATH, best first. */
const BINARY_NAMES = ['valkey-server', 'redis-server'];

/**
 * Finds the server binary to run: `explicit` (the `binary` option), else env VALKEY_SERVER_BIN, else
 * `valkey-server` or `redis-server` on PATH. Returns undefined when none is found; throws when an explicitly
 * named binary is missing, since falling back would silently test against something else.
 */
export async function findServerBinary(explicit?: string): Promise<string | undefined> {
  const requested = explicit ?? (process.env.VALKEY_SERVER_BIN || undefined);
  if (requested !== undefined) {
    const found = await resolveExecutable(requested);
    if (!found) {
      const origin = explicit !== undefined ? 'the binary option' : 'VALKEY_SERVER_BIN';
      throw new ValkeyHarnessError(
        `Server binary ${JSON.stringify(requested)} (from ${origin}) is not executable`,
      );
    }
    return found;
  }
  for (const name of BINARY_NAMES) {
    const found = await resolveExecutable(name);
    if (found) return found;
  }
  return undefined;
}

/** CLI binaries (for `--cluster create`) looked up beside the server binary, then on PATH. */
const CLI_NAMES = ['valkey-cli', 'redis-cli'];

/**
 * Finds the CLI that matches `serverBinary`: env VALKEY_CLI_BIN, else `valkey-cli`/`redis-cli` in the
 * server binary's directory, else on PATH.
 * @throws {ValkeyHarnessError} when none is found (cluster topologies need it).
 */
export async function findCliBinary(serverBinary: string): Promise<string> {
  const requested = process.env.VALKEY_CLI_BIN || undefined;
  const candidates = requested
    ? [requested]
    : [...CLI_NAMES.map((name) => join(dirname(serverBinary), name)), ...CLI_NAMES];
  for (const candidate of candidates) {
    const found = await resolveExecutable(candidate);
    if (found) return found;
  }
  throw new ValkeyHarnessError(
    `No CLI found for ${serverBinary}: install valkey-cli (or redis-cli) or set VALKEY_CLI_BIN`,
  );
}

/** A path is used as is; a bare name is searched on PATH. */
async function resolveExecutable(command: string): Promise<string | undefined> {
  if (isAbsolute(command) || command.includes('/')) {
    return (await isExecutable(command)) ? command : undefined;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
