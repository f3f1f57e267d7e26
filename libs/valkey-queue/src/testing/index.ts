/**
 * Test utilities of nestjs-valkey-queue (`nestjs-valkey-queue/testing`): a real-server harness and helpers
 * for awaiting events in tests.
 */
export { deferred, type Deferred } from './deferred.js';
export { DEFAULT_STARTUP_TIMEOUT, startValkey } from './start-valkey.js';
export type {
  StartedValkey,
  StartValkeyOptions,
  ValkeySource,
  ValkeyTestUser,
  ValkeyTlsMaterial,
} from './start-valkey.types.js';
export type {
  ClusterTopologyOptions,
  SentinelTopologyOptions,
  StartedSentinel,
  StartedValkeyCluster,
  StartedValkeySentinel,
  StartValkeyClusterOptions,
  StartValkeySentinelOptions,
  TopologyAddress,
} from './topology.types.js';
export { ValkeyHarnessError, ValkeyStartupError } from './valkey-harness.error.js';
export { startPostgres } from './start-postgres.js';
export type { PostgresSource, StartedPostgres, StartPostgresOptions } from './start-postgres.types.js';
