import type { StartedValkey, StartValkeyOptions } from './start-valkey.types.js';

/** A `host:port` of a node or a Sentinel. */
export interface TopologyAddress {
  host: string;
  port: number;
}

/** `startValkey({ cluster })`: a Valkey Cluster of local processes. */
export interface ClusterTopologyOptions {
  /**
   * Primaries, each serving an equal share of the 16384 slots (`valkey-cli --cluster create` needs 3).
   * @default 3
   */
  primaries?: number;
  /**
   * Replicas of each primary.
   * @default 0
   */
  replicas?: number;
  /**
   * `cluster-node-timeout` in ms: how long a node may be unreachable before it is marked failed and,
   * with replicas, failed over.
   * @default 3000
   */
  nodeTimeout?: number;
}

/** `startValkey({ sentinel })`: a primary, its replicas and the Sentinels that monitor them. */
export interface SentinelTopologyOptions {
  /**
   * Replicas of the primary.
   * @default 1
   */
  replicas?: number;
  /**
   * Sentinel processes.
   * @default 3
   */
  sentinels?: number;
  /**
   * Name the Sentinels monitor the primary under (the `name` connection option).
   * @default 'mymaster'
   */
  name?: string;
  /**
   * `sentinel down-after-milliseconds`: how long the primary may not answer before a failover starts.
   * @default 1000
   */
  downAfter?: number;
  /**
   * `sentinel failover-timeout`, in ms.
   * @default 5000
   */
  failoverTimeout?: number;
  /**
   * Sentinels that must agree the primary is down.
   * @default a majority of `sentinels`
   */
  quorum?: number;
}

/** Options of `startValkey({ cluster })`. The server options apply to every node; `tls` is not supported. */
export type StartValkeyClusterOptions = StartValkeyOptions & { cluster: ClusterTopologyOptions };

/** Options of `startValkey({ sentinel })`. The server options apply to the primary and replicas; not `tls`. */
export type StartValkeySentinelOptions = StartValkeyOptions & { sentinel: SentinelTopologyOptions };

/** A running Valkey Cluster for tests. Every process is stopped by PID. */
export interface StartedValkeyCluster {
  readonly topology: 'cluster';
  /** Every node: the primaries, then the replicas (roles as created; a failover swaps them). */
  readonly nodes: readonly StartedValkey[];
  /** The nodes created as primaries, in slot order. */
  readonly primaries: readonly StartedValkey[];
  /** The nodes created as replicas. */
  readonly replicas: readonly StartedValkey[];
  /** Password of the default user on every node, if any. */
  readonly password?: string;
  /** Connection options for `ValkeyQueueModule.forRoot({ connection })`: every node as a seed. */
  readonly connection: { nodes: TopologyAddress[]; password?: string };
  /**
   * Resolves once every running node reports `cluster_state:ok` with all slots served, all of them
   * agree on the primaries, and every running replica is in sync. Use it after killing or restarting
   * a node. Rejects after `timeoutMs` (default 30 s).
   */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** The node that serves `key`'s slot as primary right now. */
  primaryFor(key: string): Promise<StartedValkey>;
  /** Stops every node (SIGTERM by PID, waits for exit) and removes their temp dirs. Idempotent. */
  stop(): Promise<void>;
}

/** One Sentinel process. */
export interface StartedSentinel {
  readonly host: string;
  readonly port: number;
  /** Its PID; undefined once it exited. */
  readonly pid?: number;
  /** SIGTERM, waits for exit, removes its temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, waits for exit. */
  kill(): Promise<void>;
}

/** A running Sentinel-managed primary with replicas, for tests. Every process is stopped by PID. */
export interface StartedValkeySentinel {
  readonly topology: 'sentinel';
  /** The name the Sentinels monitor the primary under. */
  readonly name: string;
  /** The primary as started (after a failover, see `currentPrimary()`). */
  readonly primary: StartedValkey;
  /** The replicas as started. */
  readonly replicas: readonly StartedValkey[];
  /** Primary and replicas. */
  readonly servers: readonly StartedValkey[];
  readonly sentinels: readonly StartedSentinel[];
  /** Password of the data nodes' default user, if any. */
  readonly password?: string;
  /** Connection options for `ValkeyQueueModule.forRoot({ connection })`. */
  readonly connection: { sentinels: TopologyAddress[]; name: string; password?: string };
  /** The server the Sentinels name as primary now. */
  currentPrimary(): Promise<StartedValkey>;
  /** SIGKILLs the current primary (waits for its exit) and returns it. */
  killPrimary(): Promise<StartedValkey>;
  /**
   * Resolves with the new primary once the Sentinels name a server other than `previous` and that
   * server reports `role:master`. Rejects after `timeoutMs` (default 30 s).
   */
  waitForFailover(previous: StartedValkey, timeoutMs?: number): Promise<StartedValkey>;
  /** Stops the Sentinels, then the servers (SIGTERM by PID), and removes the temp dirs. Idempotent. */
  stop(): Promise<void>;
}
