import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';

/** What the harness passes to a producer or worker process in argv[2], as JSON. */
export interface ChildConfig {
  /** Ledger file name: `producer-3`, `worker-1`... (a respawn gets a new number). */
  name: string;
  ledgerDir: string;
  seed: number;
  /** Sentinel topology: where the Sentinels are and the primary's name. */
  sentinels?: { host: string; port: number }[];
  masterName?: string;
  /** Single-server topology (`--tls`): the server's fault proxy. */
  direct?: { host: string; port: number };
  /** Replicas a send waits for (`durability`), 0 without a replica. */
  replicas: number;
  /** `--tls`: the CA and the client certificate every connection presents. */
  tls?: { caFile: string; certFile: string; keyFile: string };
  /** Each server's own `host:port` → its fault proxy, so every data connection goes through a proxy. */
  natMap: Record<string, { host: string; port: number }>;
  /** Producers: messages per second. */
  rate?: number;
  /** Workers: the schedule's `startAt` (the same in every process: one definition). */
  startAt?: number;
  /** The first worker assigns the owned streams once. */
  assignStreams?: boolean;
}

export const readConfig = (): ChildConfig => JSON.parse(process.argv[2]) as ChildConfig;

/**
 * The command client the module gets as `connection.client`: Sentinel discovery, with the data
 * connections sent through the fault proxies (`natMap`), and the module's own settings for command
 * clients (5 s command timeout, two retries per command, reconnect forever). Blocking readers are
 * duplicated from it by the module.
 */
export function proxiedClient(config: ChildConfig): Redis {
  const where = config.direct
    ? { host: config.direct.host, port: config.direct.port }
    : {
        sentinels: config.sentinels,
        name: config.masterName,
        natMap: config.natMap,
        // Reconnect at once when the Sentinels announce a new primary (+switch-master): a demoted
        // primary that stays up would otherwise keep this connection, accepting writes until it is
        // reconfigured.
        failoverDetector: true,
      };
  const tls = config.tls && {
    ca: readFileSync(config.tls.caFile),
    cert: readFileSync(config.tls.certFile),
    key: readFileSync(config.tls.keyFile),
  };
  return new Redis({
    ...where,
    tls,
    commandTimeout: 5_000,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 2,
    lazyConnect: true,
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 2_000),
    sentinelRetryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 2_000),
  });
}

/** Tells the parent something over IPC, if it is still there. */
export const tellParent = (message: Record<string, unknown>): void => {
  if (process.connected) process.send?.(message);
};
