import type { ValkeyClient } from 'nestjs-valkey-queue';
import { ownKeys, uniqueService } from '../ownership/ownership-test-kit.js';
import { useQueueModule, type QueueModuleState } from '../utils/use-queue-module.js';
import { keysOf, uniqueQueue } from '../workers/worker-test-kit.js';

/** The keys of a fresh queue: those of docs/key-layout.md (keysOf), plus its hash tag and list. */
export const scriptKeys = (queue = uniqueQueue()) => {
  const tag = `{vq:${queue}}`;
  return { ...keysOf(queue), tag, list: `${tag}:list` };
};

/**
 * A module whose command client has the library's scripts defined, and fresh keys per test
 * (`scriptKeys()` unless `freshKeys` is given; it may seed them through the client).
 */
export function useScripts(url: () => string): QueueModuleState<ReturnType<typeof scriptKeys>>;
export function useScripts<Keys>(
  url: () => string,
  freshKeys: (client: ValkeyClient) => Keys | Promise<Keys>,
): QueueModuleState<Keys>;
export function useScripts(
  url: () => string,
  freshKeys: (client: ValkeyClient) => unknown = () => scriptKeys(),
) {
  return useQueueModule(url, freshKeys);
}

/** The keys of a fresh ownership service, with the service (the LBS group) itself. */
export const leaseKeys = (service = uniqueService()) => ({ service, ...ownKeys(service) });

/** Fresh ownership keys with the service's LBS group created, as the service does before its first read. */
export async function lbsWithGroup(client: ValkeyClient): Promise<ReturnType<typeof leaseKeys>> {
  const keys = leaseKeys();
  await client.xgroup('CREATE', keys.lbs, keys.service, '0', 'MKSTREAM');
  return keys;
}

/**
 * Fresh ownership keys where consumer c1 holds the lease of stream s1 with token 5: its LBS entry is
 * pending at c1, the lease key is live for 10 s, and the assignment record (the entry id, then
 * `assignment`) is indexed with `score`. Resolves the keys with the LBS entry id.
 */
export async function heldLease(
  client: ValkeyClient,
  assignment: (string | number)[],
  score: number,
): Promise<ReturnType<typeof leaseKeys> & { entryId: string }> {
  const keys = await lbsWithGroup(client);
  const entryId = (await client.xadd(keys.lbs, '*', 'stream', 's1', 'info', '{}')) as string;
  await client.xreadgroup('GROUP', keys.service, 'c1', 'STREAMS', keys.lbs, '>');
  await client.set(keys.lease('s1'), 'c1:5', 'PX', 10_000);
  await client.hset(keys.assignment('s1'), 'entryId', entryId, ...assignment);
  await client.zadd(keys.assignments, score, 's1');
  return { ...keys, entryId };
}
