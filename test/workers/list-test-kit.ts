import { randomUUID } from 'node:crypto';
import type { ValkeyClient } from 'nestjs-valkey-queue';
import { keysOf } from './worker-test-kit.js';

/** The list-transport keys of a queue (the same layout as every queue's keys). */
export const listKeysOf = keysOf;

/** A list element in wire format v1 (docs/key-layout.md, "List transport"), for a raw LPUSH. */
export const listElement = (
  payload: string,
  overrides: Partial<Record<'id' | 'v' | 'headers' | 'attempt' | 'createdAt' | 'expiresAt', unknown>> = {},
): string =>
  JSON.stringify({
    v: '1',
    id: randomUUID(),
    payload,
    headers: {},
    createdAt: Date.now(),
    attempt: 1,
    ...overrides,
  });

/** The id of a list element. */
export const idOf = (element: string): string => (JSON.parse(element) as { id: string }).id;

/** Every element of a list, oldest (next to be read) first. */
export async function oldestFirst(client: ValkeyClient, key: string): Promise<string[]> {
  return (await client.lrange(key, 0, -1)).reverse();
}

/** Messages in every in-flight list of the queue (registered consumers). */
export async function inFlightCount(client: ValkeyClient, queue: string): Promise<number> {
  const keys = listKeysOf(queue);
  const consumers = Object.keys(await client.hgetall(keys.consumers));
  const lengths = await Promise.all(consumers.map((consumer) => client.llen(keys.inflight(consumer))));
  return lengths.reduce((sum, length) => sum + length, 0);
}
