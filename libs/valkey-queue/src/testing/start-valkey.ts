import { startBinaryServer } from './binary-server.js';
import { loadTestcontainers, startContainerServer } from './container-server.js';
import { envServer } from './env-server.js';
import { findServerBinary } from './find-server-binary.js';
import type { StartedValkey, StartValkeyOptions } from './start-valkey.types.js';
import type {
  StartedValkeyCluster,
  StartedValkeySentinel,
  StartValkeyClusterOptions,
  StartValkeySentinelOptions,
} from './topology.types.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/** Default of {@link StartValkeyOptions.startupTimeout}, in milliseconds. */
export const DEFAULT_STARTUP_TIMEOUT = 10_000;

const NO_SERVER_MESSAGE =
  'No Valkey server available: set VALKEY_URL, or install valkey-server ' +
  '(Debian: apt-get install -t bookworm-backports valkey-server) or redis-server, ' +
  'or run a Docker engine for testcontainers.';

/**
 * Starts a real local Valkey Cluster (`{ cluster: { primaries: 3, replicas: 0 | 1 } }`) from the local
 * binary: cluster-enabled servers on free loopback ports, joined with `valkey-cli --cluster create`.
 * Resolves once every node reports `cluster_state:ok`. Always `stop()` it when done.
 * @example
 * const cluster = await startValkey({ cluster: { primaries: 3, replicas: 1 } });
 * ValkeyQueueModule.forRoot({ connection: cluster.connection });
 * await (await cluster.primaryFor('{vq:orders}:stream')).kill();
 * await cluster.waitUntilHealthy(); // a replica took over
 */
export function startValkey(options: StartValkeyClusterOptions): Promise<StartedValkeyCluster>;
/**
 * Starts a primary, its replicas and Sentinels (`{ sentinel: { replicas: 1, sentinels: 3 } }`) from the
 * local binary. Resolves once the replicas are in sync and the Sentinels know each other.
 * @example
 * const ha = await startValkey({ sentinel: { replicas: 1, sentinels: 3 } });
 * ValkeyQueueModule.forRoot({ connection: ha.connection });
 * const old = await ha.killPrimary();
 * await ha.waitForFailover(old);
 */
export function startValkey(options: StartValkeySentinelOptions): Promise<StartedValkeySentinel>;
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
export function startValkey(options?: StartValkeyOptions): Promise<StartedValkey>;
export async function startValkey(
  options: StartValkeyOptions | StartValkeyClusterOptions | StartValkeySentinelOptions = {},
): Promise<StartedValkey | StartedValkeyCluster | StartedValkeySentinel> {
  const startupTimeout = options.startupTimeout ?? DEFAULT_STARTUP_TIMEOUT;
  if ('cluster' in options || 'sentinel' in options) {
    // Loaded on demand: topologies need ioredis, which a plain startValkey() never loads.
    const { startTopology } = await import('./start-topology.js');
    return startTopology(options, startupTimeout);
  }
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
