/** One consumer group on a queue's stream, as `XINFO GROUPS` reports it. */
export interface QueueGroupStats {
  /** Group name. */
  name: string;
  /** Consumers registered in the group, including idle ones not yet cleaned up. */
  consumers: number;
  /** Entries delivered to the group and not acknowledged yet (in flight, or waiting to be reclaimed). */
  pending: number;
  /**
   * Entries not delivered to the group yet. The server's `lag` when it can compute it; otherwise
   * (deleted entries ahead of the group, or a server that reports none) estimated as
   * `max(0, stream length - pending)`, and `lagEstimated` is true.
   */
  lag: number;
  /** True when `lag` is the estimate above rather than the server's exact value. */
  lagEstimated: boolean;
  /** The last stream entry id delivered to the group. */
  lastDeliveredId: string;
}

/** One list read by list-transport workers of a queue (`QueueStats.lists`). */
export interface QueueListStats {
  /** The list key: the key layout's `{<prefix>:<queue>}:list`, or a worker's `queueNamer` key. */
  key: string;
  /** Messages waiting in the list. */
  length: number;
  /** Messages in its consumers' in-flight lists: delivered, outcome not written yet. */
  inFlight: number;
  /** List consumers registered for it, including dead ones whose messages were not returned yet. */
  consumers: number;
}

/**
 * A snapshot of one queue, read in one round trip by `QueueAdmin.stats()`. Counters (`processed`,
 * `failed`, ...) are totals since the queue's stats hash was created; everything else is current.
 * `QueueSender.size()` corresponds to `length + pending + delayed`.
 */
export interface QueueStats {
  /** The queue name. */
  queue: string;
  /**
   * Messages waiting to be delivered: the `lag` of the slowest consumer group when the stream has
   * a group, else every entry of the stream (nobody has read any). Plus the list length, for list queues.
   */
  length: number;
  /**
   * `length` per priority (`SendOptions.priority`, 0..10): only priorities with messages waiting
   * appear, e.g. `{ 0: 12, 5: 3 }`; `{}` when nothing waits. Each priority above 0 has its own
   * stream or list (docs/key-layout.md, "Priorities").
   */
  waitingByPriority: Record<number, number>;
  /**
   * Ordering keys (`SendOptions.orderingKey`, docs/ordering.md): `ready` have messages waiting and
   * no holder, `leased` are being worked on by an instance, `parked` are held after a dead message
   * until released. Keys, not messages: counting every key's messages would read every key.
   * Read by `QueueAdmin.stats()`; absent from the figures the metrics gauges read.
   */
  orderingKeys?: { ready: number; leased: number; parked: number };
  /** Messages delivered and not yet acknowledged, summed over the stream's consumer groups. */
  pending: number;
  /** Entries the slowest consumer group has not read yet (0 without a group). See `QueueGroupStats.lag`. */
  lag: number;
  /** Consumers summed over the stream's groups (one process in two groups counts twice), idle ones included. */
  consumers: number;
  /** Entries in the dead-letter stream now. */
  deadLetters: number;
  /** Messages handled successfully (counter). */
  processed: number;
  /** Failed handler runs, as the workers count them (counter). */
  failed: number;
  /** Failed attempts scheduled for a retry (counter). */
  retried: number;
  /** Messages dead-lettered because retries ran out or the error was unrecoverable (counter). */
  dead: number;
  /** Messages dead-lettered as broken: undecodable or invalid (counter). */
  broken: number;
  /** Messages that expired before delivery (counter). */
  expired: number;
  /** Dead letters moved back onto the queue by `QueueAdmin.redrive()` (counter). */
  redriven: number;
  /** Messages waiting in the delayed set: delayed sends and scheduled retries. */
  delayed: number;
  /** Whether the queue is paused (`QueueAdmin.pause()`), for every instance. */
  paused: boolean;
  /** Entries in the stream (`XLEN`): waiting, pending, and acknowledged ones not deleted or trimmed yet. */
  streamLength: number;
  /** Per consumer group detail, in the order the server lists them. */
  groups: QueueGroupStats[];
  /**
   * Per list read by list-transport workers (present when some are registered). Their in-flight
   * messages are included in `pending`, their consumers in `consumers`, and the lengths of lists
   * other than the key layout's in `length`.
   */
  lists?: QueueListStats[];
}
