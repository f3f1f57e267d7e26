import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { ValkeyClient } from 'nestjs-valkey-queue';
import { clusterOf } from './topology.js';

/**
 * A plain ioredis client for checking state from the outside. `disconnectTimeout` is short
 * because ioredis arms that timer on quit and only clears it on a socket 'close' it may not get,
 * which would keep jest alive for 2 s after the run.
 *
 * When `url` stands for a cluster (the cluster run, see use-valkey.ts) this is an ioredis `Cluster`:
 * it has the same command methods and routes each keyed command to its slot. Commands without a key
 * (KEYS, CONFIG, CLIENT, INFO, FLUSHALL) would reach one random node there: use `keysMatching()` and
 * `serversOf()` for those.
 */
export const rawClient = (url: string, options: RedisOptions = {}): Redis => {
  const cluster = clusterOf(url);
  if (!cluster) return new Redis(url, { disconnectTimeout: 100, ...options });
  const redisOptions: RedisOptions = { disconnectTimeout: 100, password: cluster.password, ...options };
  // Typed as Redis so suites keep one client type; both share the command methods they use.
  return new Cluster(cluster.nodes, { redisOptions }) as unknown as Redis;
};

/**
 * Every server behind a client: itself, or every primary of a cluster (for node-local commands such as
 * CONFIG, CLIENT PAUSE, KEYS). Waits for a cluster client to know its nodes.
 */
export async function serversOf(client: ValkeyClient | Redis): Promise<Redis[]> {
  const unknownClient: unknown = client;
  if (!(unknownClient instanceof Cluster)) return [client as Redis];
  if (unknownClient.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      unknownClient.once('ready', resolve);
      unknownClient.once('end', () => reject(new Error('the cluster client ended before it was ready')));
    });
  }
  return unknownClient.nodes('master');
}

/** KEYS `pattern` on every server behind `client` (small test databases only). */
export async function keysMatching(client: ValkeyClient | Redis, pattern: string): Promise<string[]> {
  const replies = await Promise.all((await serversOf(client)).map((server) => server.keys(pattern)));
  return replies.flat();
}

/** Runs a node-local command (CONFIG SET, CLIENT PAUSE...) on every server behind `client`. */
export async function onEveryServer(
  client: ValkeyClient | Redis,
  command: (server: Redis) => Promise<unknown>,
): Promise<void> {
  await Promise.all((await serversOf(client)).map(command));
}
