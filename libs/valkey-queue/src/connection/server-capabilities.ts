import { Cluster } from 'ioredis';
import type { ValkeyClient } from './create-client.js';

/**
 * What the server behind a connection does where supported servers differ, detected once per
 * connection (`ValkeyConnection.capabilities()`).
 * @internal
 */
export interface ServerCapabilities {
  server: 'valkey' | 'redis' | 'unknown';
  /** The version as the server names it (Valkey 8.0.1 reports `8.0.1`). */
  version: string;
  /**
   * Redis >= 7.2 and every Valkey: XINFO CONSUMERS `idle` counts from the consumer's last read
   * *attempt* (a read blocked on an empty stream included; `inactive` counts from the last
   * successful one), and XREADGROUP creates its consumer even when it delivers nothing. Before
   * Redis 7.2, `idle` counts from the last read that delivered something (or a history read) and a
   * consumer appears only then, so a live reader blocked on an empty stream looks idle, or absent.
   */
  idleCountsReadAttempts: boolean;
  /** Redis >= 7.0 and every Valkey: the oldest servers the library supports (Lua shebangs, XAUTOCLAIM's deleted ids). */
  supported: boolean;
}

/** What is assumed when the server cannot be asked: the conservative branch of every difference. */
export const UNKNOWN_SERVER: Readonly<ServerCapabilities> = {
  server: 'unknown',
  version: 'unknown',
  idleCountsReadAttempts: false,
  supported: true,
};

/**
 * Capabilities from an `INFO server` reply. Valkey reports `valkey_version` beside a `redis_version`
 * naming the Redis release it is compatible with (7.2.4), so `redis_version` decides behaviour.
 */
export function capabilitiesFromInfo(info: string): ServerCapabilities {
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() || undefined;
  const valkey = field('valkey_version');
  const redis = field('redis_version');
  if (!valkey && !redis) return { ...UNKNOWN_SERVER };
  return fromVersion(valkey ? 'valkey' : 'redis', valkey ?? redis!, redis ?? '7.2.4');
}

/** Capabilities from a `HELLO` reply (RESP2 `[field, value, ...]` or RESP3 map), when INFO is not permitted. */
export function capabilitiesFromHello(reply: unknown): ServerCapabilities {
  const fields = new Map<string, unknown>();
  if (reply instanceof Map) for (const [key, value] of reply) fields.set(String(key), value);
  else if (Array.isArray(reply)) {
    for (let index = 0; index + 1 < reply.length; index += 2)
      fields.set(String(reply[index]), reply[index + 1]);
  }
  const name = String(fields.get('server') ?? '');
  const version = fields.get('version');
  if (version === undefined || (name !== 'redis' && name !== 'valkey')) return { ...UNKNOWN_SERVER };
  // HELLO names no compatible Redis release; every Valkey behaves like Redis 7.2 at least (Valkey 7.2
  // itself answers as `redis` with its own version, which says the same).
  return fromVersion(name, String(version), name === 'valkey' ? '7.2.4' : String(version));
}

/** The conservative combination of several nodes' capabilities (a Cluster mid-upgrade mixes versions). */
export function weakestOf(all: readonly ServerCapabilities[]): ServerCapabilities {
  if (all.length === 0) return { ...UNKNOWN_SERVER };
  const weakest = all.find((one) => !one.idleCountsReadAttempts) ?? all[0];
  return {
    ...weakest,
    idleCountsReadAttempts: all.every((one) => one.idleCountsReadAttempts),
    supported: all.every((one) => one.supported),
  };
}

/**
 * Asks the server(s) behind `client`: INFO server, else HELLO (INFO may be denied by ACL), else
 * {@link UNKNOWN_SERVER}. A Cluster answers for its weakest primary. Never throws.
 */
export async function detectServerCapabilities(client: ValkeyClient): Promise<ServerCapabilities> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  if (nodes.length === 0) return { ...UNKNOWN_SERVER };
  return weakestOf(
    await Promise.all(
      nodes.map(async (node) => {
        try {
          return capabilitiesFromInfo(await node.info('server'));
        } catch {
          return node.call('HELLO').then(capabilitiesFromHello, () => ({ ...UNKNOWN_SERVER }));
        }
      }),
    ),
  );
}

/**
 * An XREADGROUP that marks `consumer` live without delivering anything: a history read after the
 * highest possible id (the highest id itself would mean `>`). On servers where `idle` does not count
 * read attempts, sent right before each blocking read on the same connection, so `idle` means the same everywhere:
 * time since the consumer last tried to read. It also creates the consumer, as 7.2+ does on any read.
 */
export function markLiveArgs(group: string, consumer: string, stream: string): string[] {
  return ['GROUP', group, consumer, 'COUNT', '1', 'STREAMS', stream, MARK_LIVE_ID];
}

/** Above every id an entry can have; history reads return entries after it, so none. */
const MARK_LIVE_ID = '18446744073709551615-18446744073709551614';

function fromVersion(server: 'valkey' | 'redis', version: string, compatible: string): ServerCapabilities {
  return {
    server,
    version,
    idleCountsReadAttempts: atLeast(compatible, [7, 2]),
    supported: atLeast(compatible, [7, 0]),
  };
}

function atLeast(version: string, [major, minor]: [number, number]): boolean {
  const [actualMajor, actualMinor] = parseVersion(version);
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

function parseVersion(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return [major, minor];
}
