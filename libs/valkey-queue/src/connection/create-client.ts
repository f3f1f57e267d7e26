import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsSocketOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ResolvedConnectionOptions } from '../config/validate-options.js';
import { ConfigError } from '../errors/config.error.js';
import { LUA_SCRIPTS } from '../lua/lua-scripts.js';
import type { ReconnectOptions, TlsConnectionOptions } from '../interfaces/connection-options.interface.js';
import { scaleReadsSetting } from './scale-reads.js';

/**
 * Commands a Cluster command connection sends at once instead of auto-pipelining them:
 * - scripts called as `(numberOfKeys, ...keys, ...args)`: ioredis picks a Cluster auto-pipeline by the
 *   slot of the first argument, here the key count, so calls for different queues would share one
 *   cross-slot pipeline and fail;
 * - the send scripts, so single and gathered sends leave in call order (see sender/send-script.ts).
 */
const CLUSTER_UNPIPELINED = [
  ...Object.entries(LUA_SCRIPTS as Record<string, { numberOfKeys?: number }>)
    .filter(([, script]) => script.numberOfKeys === undefined)
    .map(([name]) => name),
  'vqSend',
];

/** How often a Cluster command connection re-reads the slot map (one CLUSTER SLOTS). */
const SLOTS_REFRESH_INTERVAL_MS = 5_000;

/** Any client the module talks through: standalone (also via Sentinel) or Cluster. */
export type ValkeyClient = Redis | Cluster;

/**
 * What a connection is for. Command connections fail a command after `commandTimeout`;
 * blocking ones (XREADGROUP BLOCK, BLMOVE) have no command deadline, so a long block is not an error.
 */
export type ConnectionRole = 'command' | 'blocking';

/**
 * Creates (but does not connect) an ioredis client for the given options. Connecting is the
 * caller's job, so it can put a deadline on it and report a clear error.
 * @internal
 */
export function createClient(
  options: ResolvedConnectionOptions,
  role: ConnectionRole,
  label: string,
): ValkeyClient {
  const retryStrategy = backoff(options.reconnect);
  const common: RedisOptions = {
    username: options.username,
    password: options.password,
    tls: tlsOptions(options.tls),
    connectTimeout: options.connectTimeout,
    commandTimeout: role === 'command' ? options.commandTimeout : undefined,
    // Blocking readers wait for the server to come back; command callers get a bounded error.
    maxRetriesPerRequest: role === 'command' ? 2 : null,
    connectionName: label,
    lazyConnect: true,
    // ioredis arms this timer on every disconnect() and clears it only on a socket 'close', which
    // never comes for an already-closed socket: the default 2 s would hold a shutting-down process.
    disconnectTimeout: 200,
    // Concurrent commands from many callers share one write: fewer syscalls, same ordering.
    enableAutoPipelining: role === 'command',
  };
  if (options.nodes) {
    const clusterOptions: ClusterOptions = {
      redisOptions: common,
      natMap: options.natMap,
      lazyConnect: true,
      scaleReads: scaleReadsSetting(options.scaleReads ?? 'master'),
      enableAutoPipelining: role === 'command',
      autoPipeliningIgnoredCommands: CLUSTER_UNPIPELINED,
      // Learn failovers and resharding even for slots this client is not using right now (the
      // ownership service subscribes per primary and re-checks on each refresh).
      slotsRefreshInterval: role === 'command' ? SLOTS_REFRESH_INTERVAL_MS : undefined,
      clusterRetryStrategy: retryStrategy,
    };
    return new Cluster(options.nodes, clusterOptions);
  }
  return new Redis({
    ...common,
    host: options.host,
    port: options.port,
    db: options.db,
    sentinels: options.sentinels,
    name: options.name,
    sentinelUsername: options.sentinelUsername,
    sentinelPassword: options.sentinelPassword,
    enableTLSForSentinelMode: Boolean(options.sentinels && options.tls),
    // Reconnect as soon as the Sentinels announce a new primary (+switch-master): after a planned
    // failover the old primary stays up, and accepts writes it later discards, until it is reconfigured.
    failoverDetector: Boolean(options.sentinels),
    retryStrategy,
  });
}

/**
 * Exponential reconnect delay with equal jitter, capped at `maxDelay`. It never returns
 * `null`: a queue worker must outlive any outage, so reconnects never give up.
 */
export function backoff({ initialDelay, maxDelay }: Required<ReconnectOptions>): (attempt: number) => number {
  return (attempt) => {
    const ceiling = Math.min(maxDelay, initialDelay * 2 ** Math.min(attempt - 1, 30));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  };
}

function tlsOptions(tls: ResolvedConnectionOptions['tls']): TlsSocketOptions | undefined {
  if (!tls) return undefined;
  if (tls === true) return {};
  return {
    ca: tls.ca ?? readPem(tls, 'caFile'),
    cert: tls.cert ?? readPem(tls, 'certFile'),
    key: tls.key ?? readPem(tls, 'keyFile'),
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
    servername: tls.servername,
  };
}

function readPem(tls: TlsConnectionOptions, field: 'caFile' | 'certFile' | 'keyFile'): string | undefined {
  const path = tls[field];
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`connection.tls.${field}`, `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
