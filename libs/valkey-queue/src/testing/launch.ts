import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './free-port.js';
import { ValkeyStartupError } from './valkey-harness.error.js';

/** Free ports tried before giving up, when another process grabs the port between probe and bind. */
const MAX_PORT_ATTEMPTS = 5;

/**
 * Runs `use` with a fresh private temp dir named `<prefix>…`; the dir is removed if `use` fails
 * (on success it belongs to what `use` started, which removes it when it stops).
 */
export async function inTempDir<T>(prefix: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await use(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Runs `start` with a free loopback port, and again with another one when the server reports
 * "Address already in use" (another process took the port between probe and bind).
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await getFreePort();
    try {
      return await start(port);
    } catch (error) {
      const portTaken =
        error instanceof ValkeyStartupError && error.output.includes('Address already in use');
      if (!portTaken || attempt >= MAX_PORT_ATTEMPTS) throw error;
    }
  }
}
