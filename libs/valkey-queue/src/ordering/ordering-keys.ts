import { queueKeys, type QueueKeys } from '../utils/keys.util.js';

/**
 * The keys of per-key ordering in one queue (docs/ordering.md, docs/key-layout.md). All share the
 * queue's hash tag, so every ordering script runs on Valkey Cluster. None exists until a message
 * with an `orderingKey` is sent: a queue without ordering keys has none of them.
 */
export interface OrderingKeys {
  /** ZSET: ordering key -> when its head message may run (epoch ms). Keys with work, not leased. */
  readonly ready: string;
  /** ZSET: ordering key -> lease expiry (epoch ms) of the worker running its head. */
  readonly leases: string;
  /** HASH: ordering key -> fencing token of its current lease. */
  readonly holders: string;
  /** HASH: ordering key -> deliveries of its head message (crash-loop detection). */
  readonly takes: string;
  /** STRING counter: the last fencing token issued (one counter per queue, strictly increasing). */
  readonly fence: string;
  /** HASH: ordering key -> when it was parked (policy `park`), until released. */
  readonly parked: string;
  /** Prefix of each key's LIST of waiting messages (`<prefix><ordering key>`). */
  readonly listPrefix: string;
  /** LIST of one ordering key's messages, oldest first, as `<due ms>;<body>`. */
  list(orderingKey: string): string;
}

/** The ordering keys of `queue` under `prefix`. Validates the queue name. */
export function orderingKeys(prefix: string, queue: string): OrderingKeys {
  return orderingKeysOf(queueKeys(prefix, queue));
}

/** The ordering keys of the queue whose keys are `keys`. */
export function orderingKeysOf(keys: Pick<QueueKeys, 'tag'>): OrderingKeys {
  const base = `${keys.tag}:ordered`;
  const listPrefix = `${base}:key:`;
  return {
    ready: `${base}:ready`,
    leases: `${base}:leases`,
    holders: `${base}:holders`,
    takes: `${base}:takes`,
    fence: `${base}:fence`,
    parked: `${base}:parked`,
    listPrefix,
    list: (orderingKey) => `${listPrefix}${orderingKey}`,
  };
}
