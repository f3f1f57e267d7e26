import { startCluster } from './cluster-topology.js';
import { findServerBinary } from './find-server-binary.js';
import { startSentinelTopology } from './sentinel-topology.js';
import type {
  StartedValkeyCluster,
  StartedValkeySentinel,
  StartValkeyClusterOptions,
  StartValkeySentinelOptions,
} from './topology.types.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/**
 * Starts a cluster or a Sentinel topology from the local server binary (never VALKEY_URL or Docker:
 * the harness must own every process to stop and kill them by PID).
 */
export async function startTopology(
  options: StartValkeyClusterOptions | StartValkeySentinelOptions,
  startupTimeout: number,
): Promise<StartedValkeyCluster | StartedValkeySentinel> {
  const { cluster, sentinel } = options as Partial<StartValkeyClusterOptions & StartValkeySentinelOptions>;
  if (cluster && sentinel) throw new ValkeyHarnessError('Pass either cluster or sentinel, not both');
  if (options.tls) throw new ValkeyHarnessError('tls is not supported for cluster and sentinel topologies');
  // Written unquoted into masterauth and `sentinel auth-pass` lines.
  if (options.password !== undefined && !/^[\w.~!@#%^*+=-]+$/.test(options.password))
    throw new ValkeyHarnessError(
      'A topology password may only hold letters, digits and . ~ ! @ # % ^ * + = - _',
    );
  const binary = await findServerBinary(options.binary);
  if (!binary) {
    throw new ValkeyHarnessError(
      'Cluster and sentinel topologies need a local valkey-server (or redis-server) binary; ' +
        'install it or set VALKEY_SERVER_BIN',
    );
  }
  if (cluster) return startCluster(binary, options, cluster, startupTimeout);
  if (sentinel) return startSentinelTopology(binary, options, sentinel, startupTimeout);
  throw new ValkeyHarnessError('startTopology needs a cluster or sentinel option');
}
