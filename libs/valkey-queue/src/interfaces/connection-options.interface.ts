import type { Cluster, Redis } from 'ioredis';

/** A `host:port` pair: a Sentinel or a Cluster seed node. */
export interface ValkeyNodeAddress {
  host: string;
  port: number;
}

/**
 * TLS settings. A CA alone is enough (server-verified TLS); `cert` + `key` add a client
 * certificate for servers that require mutual TLS. PEM text and file paths are both accepted;
 * files are read once, when the connection is created.
 */
export interface TlsConnectionOptions {
  /** CA certificate(s), PEM text. */
  ca?: string;
  /** Path to a PEM CA file. */
  caFile?: string;
  /** Client certificate, PEM text (mutual TLS only). */
  cert?: string;
  /** Path to a PEM client certificate. */
  certFile?: string;
  /** Client private key, PEM text (mutual TLS only). */
  key?: string;
  /** Path to a PEM client key. */
  keyFile?: string;
  /** Verify the server certificate. Turn off only for throwaway test servers. @default true */
  rejectUnauthorized?: boolean;
  /** SNI server name, when it differs from the host. */
  servername?: string;
}

/** Where Cluster monitoring reads go (ioredis's names): primaries, replicas, or either. */
export type ScaleReads = 'master' | 'slave' | 'all';

/** How reconnects back off after a lost connection. They never give up. */
export interface ReconnectOptions {
  /** First retry delay in ms. @default 100 */
  initialDelay?: number;
  /** Upper bound of the delay in ms. @default 30000 */
  maxDelay?: number;
}

/**
 * Where the Valkey (or Redis >= 7) server is and how to reach it.
 *
 * Give one of: `url`; `host`/`port`; `sentinels` + `name`; `nodes` (Cluster); or `client`
 * (an ioredis client you own and close yourself).
 */
export interface ConnectionOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  url?: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 6379 */
  port?: number;
  /** Database index (any index the server has; not capped at 15). Standalone/Sentinel only. @default 0 */
  db?: number;
  /** ACL user name. */
  username?: string;
  /** Password of the ACL user (or of `requirepass`). */
  password?: string;
  /** `true` for TLS with the system CAs, or explicit TLS settings. */
  tls?: boolean | TlsConnectionOptions;
  /** Sentinel addresses; requires `name`. */
  sentinels?: ValkeyNodeAddress[];
  /** Name of the primary the sentinels monitor. */
  name?: string;
  /** ACL user for the sentinels themselves. */
  sentinelUsername?: string;
  /** Password for the sentinels themselves. */
  sentinelPassword?: string;
  /** Cluster seed nodes. */
  nodes?: ValkeyNodeAddress[];
  /**
   * Cluster address translation: the `host:port` a node announces → the address to connect to instead,
   * e.g. `{ '10.0.0.5:6379': { host: 'valkey-0.example.com', port: 6379 } }` when nodes announce private
   * addresses (NAT, Docker, Kubernetes). With `nodes` only.
   */
  natMap?: Record<string, ValkeyNodeAddress>;
  /**
   * Cluster only: where the module's monitoring reads go (`XLEN`, `LLEN`, `ZCARD`, `XINFO`, behind
   * `size()` and the health indicators). `'master'`: primaries; `'slave'`: replicas; `'all'`: either.
   * Replicas lag behind, so those figures may be slightly stale; every other command (scripts, writes,
   * idempotency markers, the pause flag, reads you send on the injected client) always goes to primaries.
   * @default 'master'
   */
  scaleReads?: ScaleReads;
  /** Deadline for the first connection (and each reconnect attempt), in ms. @default 10000 */
  connectTimeout?: number;
  /** Deadline for a non-blocking command, in ms. Blocking reads are exempt. @default 5000 */
  commandTimeout?: number;
  /**
   * Start without waiting for the server. The app boots degraded (health reports it) and
   * connects in the background. When false, bootstrap fails fast if the server is unreachable.
   * @default false
   */
  lazyConnect?: boolean;
  /** Reconnect backoff. */
  reconnect?: ReconnectOptions;
  /**
   * Use this ioredis client for commands instead of creating one. You own it: the module never
   * closes it. Blocking consumers get their own connections through `client.duplicate()`.
   */
  client?: Redis | Cluster;
}
