import { InvalidQueueNameError } from '../errors/invalid-queue-name.error.js';

/** Longest queue name we accept: keys stay short and readable in valkey-cli. */
export const MAX_QUEUE_NAME_LENGTH = 200;

/**
 * Throws `InvalidQueueNameError` unless `name` is usable as a queue name: a non-empty string of
 * at most 200 characters, without braces (they would break the cluster hash tag) and without
 * whitespace or control characters (they make keys unreadable and unscriptable in valkey-cli).
 */
export function assertQueueName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidQueueNameError(name, 'it must be a string');
  if (name.length === 0) throw new InvalidQueueNameError(name, 'it must not be empty');
  if (name.length > MAX_QUEUE_NAME_LENGTH) {
    throw new InvalidQueueNameError(name, `it must be at most ${MAX_QUEUE_NAME_LENGTH} characters`);
  }
  if (/[{}]/.test(name))
    throw new InvalidQueueNameError(name, 'it must not contain { or } (cluster hash tags)');
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidQueueNameError(name, 'it must not contain whitespace or control characters');
  }
}

/**
 * The hash tag every key of one queue shares, `{<prefix>:<queue>}`, so that all of a queue's
 * keys live in one cluster slot and every script on them runs on Valkey Cluster.
 */
export function queueHashTag(prefix: string, queue: string): string {
  assertQueueName(queue);
  return `{${prefix}:${queue}}`;
}

/**
 * Every key of one queue. All share the hash tag `{<prefix>:<queue>}` (one cluster slot), so any
 * script over them runs on Valkey Cluster. Built only here; docs/key-layout.md describes each.
 */
export interface QueueKeys {
  /** `{vq:orders}`: the shared hash tag. */
  readonly tag: string;
  /** STREAM of waiting and pending messages (stream transport). */
  readonly stream: string;
  /** LIST of waiting messages (list transport; `LPUSH` in, `BLMOVE ... RIGHT LEFT` out). */
  readonly list: string;
  /** STREAM of dead, broken and expired messages, with the reason. */
  readonly dead: string;
  /** ZSET: envelope id → due time (epoch ms). Delayed sends and scheduled retries. */
  readonly delayed: string;
  /** HASH: envelope id → the message as it will be appended when due. */
  readonly delayedBodies: string;
  /** STRING present while the queue is paused (seen by every instance). */
  readonly paused: string;
  /** HASH of counters (processed, failed, dead, ...). */
  readonly stats: string;
  /** ZSET: name → next tick (epoch ms) of every schedule that targets this queue. */
  readonly schedules: string;
  /** HASH: one schedule's definition, timing, payload and run count. */
  schedule(name: string): string;
  /** STRING with a TTL: held while a `@Scheduled` method of this (internal) queue runs. */
  readonly runLock: string;
  /** STRING: dedup key → id of the first message sent with it (PX dedupTtl). */
  dedup(key: string): string;
  /** STRING: marks an envelope id as appended, so a retried send appends at most once. */
  sent(id: string): string;
  /** STRING: marks an envelope id as processed (workers with `idempotent: true`). */
  done(id: string): string;
  /** LIST of messages one consumer holds (list transport). */
  inflight(consumer: string): string;
  /** STRING with a TTL, kept alive by one list-transport consumer while it runs. */
  heartbeat(consumer: string): string;
  /** HASH: list-transport consumer name → the list key it consumes (how consumers find each other). */
  readonly listConsumers: string;
  /** HASH: SHA-1 of a list element → its deliveries beyond the first (crash-loop detection for lists). */
  readonly listDeliveries: string;
}

/** The keys of `queue` under `prefix`. Validates the queue name. */
export function queueKeys(prefix: string, queue: string): QueueKeys {
  const tag = queueHashTag(prefix, queue);
  return {
    tag,
    stream: `${tag}:stream`,
    list: `${tag}:list`,
    dead: `${tag}:dead`,
    delayed: `${tag}:delayed`,
    delayedBodies: `${tag}:delayed:bodies`,
    paused: `${tag}:paused`,
    stats: `${tag}:stats`,
    schedules: `${tag}:schedules`,
    schedule: (name) => `${tag}:schedule:${name}`,
    runLock: `${tag}:run-lock`,
    dedup: (key) => `${tag}:dedup:${key}`,
    sent: (id) => `${tag}:sent:${id}`,
    done: (id) => `${tag}:done:${id}`,
    inflight: (consumer) => `${tag}:inflight:${consumer}`,
    heartbeat: (consumer) => `${tag}:consumer:${consumer}`,
    listConsumers: `${tag}:list-consumers`,
    listDeliveries: `${tag}:list-deliveries`,
  };
}

/**
 * HASH: schedule name → `{"queue","transport"}`, the index `QueueScheduler` uses to find every
 * schedule. Not per queue (names are unique app-wide), so no script ever touches it.
 */
export const scheduleIndexKey = (prefix: string): string => `${prefix}:schedules`;

/**
 * Every key of one stream-ownership service. All share the hash tag `{<prefix>:own:<service>}`
 * (one cluster slot), so the claim and release scripts, which touch the LBS entry, the lease, the
 * fence counter and the assignment record at once, run on Valkey Cluster. The service name is
 * validated by the module options; data stream names by `StreamOwnershipService`.
 */
export interface OwnershipKeys {
  /** `{vq:own:sessions}`: the shared hash tag. */
  readonly tag: string;
  /** STREAM, the load-balancer stream (LBS): one entry per assignment; the consumer group is the service. */
  readonly lbs: string;
  /** STREAM of malformed LBS entries, with the reason. */
  readonly lbsDead: string;
  /** ZSET: data stream → expiry (epoch ms, server clock) of its last lease; the sweeper's index. */
  readonly assignments: string;
  /** Pub/sub channel (not a key): a stream name, published when a lease is handed back. */
  readonly handBackChannel: string;
  /** STRING `<owner>:<token>`, PX leaseTtl: the lease on one data stream. */
  lease(stream: string): string;
  /** STRING counter (INCR, never expires): the last fencing token issued for one data stream. */
  fence(stream: string): string;
  /** HASH: one data stream's assignment (entryId, owner, token, expiresAt, info). */
  assignment(stream: string): string;
}

/** The keys of the ownership service `service` under `prefix`. */
export function ownershipKeys(prefix: string, service: string): OwnershipKeys {
  const tag = `{${prefix}:own:${service}}`;
  return {
    tag,
    lbs: `${tag}:lbs`,
    lbsDead: `${tag}:lbs:dead`,
    assignments: `${tag}:assignments`,
    handBackChannel: `${tag}:handed-back`,
    lease: (stream) => `${tag}:lease:${stream}`,
    fence: (stream) => `${tag}:fence:${stream}`,
    assignment: (stream) => `${tag}:assignment:${stream}`,
  };
}
