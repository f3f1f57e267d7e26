import { startBinaryServer } from './binary-server.js';
import { loadTestcontainers, startContainerServer } from './container-server.js';
import { envServer } from './env-server.js';
import { findServerBinary } from './find-server-binary.js';
import type { StartedValkey, StartValkeyOptions } from './start-valkey.types.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/** Default of {@link StartValkeyOptions.startupTimeout}, in milliseconds. */
export const DEFAULT_STARTUP_TIMEOUT = 10_000;

const NO_SERVER_MESSAGE =
  'No Valkey server available: set VALKEY_URL, or install valkey-server ' +
  '(Debian: apt-get install -t bookworm-backports valkey-server) or redis-server, ' +
  'or run a Docker engine for testcontainers.';

/**
 * Gives a test a real Valkey server, from the first source that fits:
 *
 * 1. env `VALKEY_URL`, unless an option needs a server of our own (password, users, tls, appendonly,
 *    config, binary): `source: 'env'`;
 * 2. a local `valkey-server`/`redis-server` (or the `binary` option / env VALKEY_SERVER_BIN) on a free
 *    loopback port with a config in a fresh temp dir: `source: 'binary'`;
 * 3. the `valkey/valkey:8` image through testcontainers, if a Docker engine answers (password option
 *    only): `source: 'container'`.
 *
 * Always `stop()` it when done (e.g. in `afterAll`). Processes still running when Node exits are killed.
 *
 * @throws {ValkeyHarnessError} when no source is available or the server fails to start.
 * @example
 * const valkey = await startValkey({ appendonly: true });
 * const client = new Redis(valkey.url);
 * // ... await valkey.kill(); await valkey.restart();
 * client.disconnect();
 * await valkey.stop();
 */
export async function startValkey(options: StartValkeyOptions = {}): Promise<StartedValkey> {
  const startupTimeout = options.startupTimeout ?? DEFAULT_STARTUP_TIMEOUT;
  const envUrl = process.env.VALKEY_URL;
  if (envUrl && !needsOwnServer(options)) return envServer(envUrl);

  const binary = await findServerBinary(options.binary);
  if (binary) return startBinaryServer(binary, options, startupTimeout);

  const testcontainers = await loadTestcontainers();
  if (testcontainers) return startContainerServer(testcontainers, options, startupTimeout);

  throw new ValkeyHarnessError(NO_SERVER_MESSAGE);
}

/** Whether the options configure the server itself, which a shared VALKEY_URL server cannot honour. */
function needsOwnServer(options: StartValkeyOptions): boolean {
  return (
    options.password !== undefined ||
    (options.users?.length ?? 0) > 0 ||
    options.tls === true ||
    options.appendonly === true ||
    Object.keys(options.config ?? {}).length > 0 ||
    options.binary !== undefined
  );
}
