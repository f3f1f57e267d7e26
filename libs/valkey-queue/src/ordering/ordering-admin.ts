import type { ValkeyClient } from '../connection/create-client.js';
import { InvalidAdminArgumentError } from '../errors/invalid-admin-argument.error.js';
import type { QueueKeys } from '../utils/keys.util.js';
import { MAX_ORDERING_KEY_BYTES } from './ordering-key.js';
import { orderingKeysOf } from './ordering-keys.js';

/** Most parked keys one `parkedOrderingKeys()` call lists. */
const MAX_PARKED_PAGE = 10_000;

function assertOrderingKeyArgument(value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > MAX_ORDERING_KEY_BYTES) {
    throw new InvalidAdminArgumentError(
      'orderingKey',
      value,
      `a non-empty string of at most ${MAX_ORDERING_KEY_BYTES} UTF-8 bytes`,
    );
  }
}

/**
 * Releases a parked ordering key (ordered-release.lua): its later messages run again, oldest first.
 * Resolves false when the key was not parked. @internal
 */
export async function releaseOrderingKey(
  client: ValkeyClient,
  keys: QueueKeys,
  orderingKey: unknown,
): Promise<boolean> {
  assertOrderingKeyArgument(orderingKey);
  const { ready, holders, parked, listPrefix } = orderingKeysOf(keys);
  return (await client.vqOrderedRelease(ready, holders, parked, listPrefix, orderingKey)) === 1;
}

/** Parked ordering keys with when each was parked, oldest first, at most `count`. @internal */
export async function parkedOrderingKeys(
  client: ValkeyClient,
  keys: QueueKeys,
  count: unknown = 100,
): Promise<{ orderingKey: string; parkedAt: Date }[]> {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > MAX_PARKED_PAGE) {
    throw new InvalidAdminArgumentError('count', count, `an integer from 1 to ${MAX_PARKED_PAGE}`);
  }
  const flat = await client.hgetall(orderingKeysOf(keys).parked);
  return Object.entries(flat)
    .map(([orderingKey, at]) => ({ orderingKey, parkedAt: new Date(Number(at)) }))
    .sort((a, b) => a.parkedAt.getTime() - b.parkedAt.getTime())
    .slice(0, count);
}

/** How many ordering keys are ready, leased and parked (`QueueStats.orderingKeys`): one pipeline. @internal */
export async function orderingKeyCounts(
  client: ValkeyClient,
  keys: QueueKeys,
): Promise<{ ready: number; leased: number; parked: number }> {
  const { ready, leases, parked } = orderingKeysOf(keys);
  const replies = (await client.pipeline().zcard(ready).zcard(leases).hlen(parked).exec()) ?? [];
  const [readyCount, leasedCount, parkedCount] = replies.map(([error, count]) => {
    if (error) throw error;
    return Number(count);
  });
  return { ready: readyCount, leased: leasedCount, parked: parkedCount };
}
