import type { Redis } from 'ioredis';
import type { ValkeyConnection } from '../../connection/valkey-connection.js';
import { MAX_PRIORITY, priorityKey } from '../../envelope/priority.js';
import type { PriorityPolicy } from '../../interfaces/worker-options.interface.js';
import type { ListConsumerSettings } from '../list/list-consumer-settings.js';
import { ListReader, type ListReadReply } from '../list/list-reader.js';
import { pickSettings, PriorityDiscovery } from './priority-reads.js';

/**
 * Longest wait on the queue's own list while priorities are in use and every list is empty: a
 * blocking move watches one list only, so a message of a priority above 0 arriving meanwhile waits
 * at most this long.
 */
export const LIST_PRIORITY_WAIT_MS = 100;

/** Every priority, highest first (10 .. 0). */
const ALL_PRIORITIES = Array.from({ length: MAX_PRIORITY + 1 }, (_, index) => MAX_PRIORITY - index);

/**
 * The list reader with priorities (docs/architecture.md, "Priorities"). Until a list of a priority
 * above 0 has been seen (`<list>:p<n>`), reads are the plain `ListReader`'s: a queue that never uses
 * priorities runs the same commands as before. From then on (for the life of the worker: priority
 * lists vanish whenever they are drained), a read is list-take-priorities.lua over every priority
 * list (highest first, or weighted shares) and, when all are empty, a short blocking wait on the
 * queue's own list. Everything after the move into the in-flight list is unchanged. @internal
 */
export class PriorityListReader extends ListReader {
  private prioritized = false;
  private readonly discovery: PriorityDiscovery;
  private readonly lists: string[];

  constructor(
    private readonly valkey: ValkeyConnection,
    private readonly list: ListConsumerSettings,
    private readonly policy: PriorityPolicy,
  ) {
    super(valkey, list);
    this.discovery = new PriorityDiscovery(() => valkey.client, list.list);
    this.lists = ALL_PRIORITIES.map((priority) => priorityKey(list.list, priority));
  }

  /** A sender announced a priority: look for its list at the next read, and end a blocked read now. */
  priorityAnnounced(): void {
    this.discovery.soon();
    if (!this.prioritized) void this.interrupt(this.valkey.client).catch(() => undefined);
  }

  override async read(count: number, blockMs: number): Promise<ListReadReply> {
    if (!this.prioritized) {
      const found = await this.discovery.check(false);
      if (found && found.length > 0) this.prioritized = true;
    }
    if (!this.prioritized) return super.read(count, blockMs);
    const client = await this.connect();
    const { inflight, keys, heartbeat, consumer, list, heartbeatTtl } = this.list;
    const taken = await client.vqListTakePrioritiesBuffer(
      4 + this.lists.length,
      inflight,
      keys.listDeliveries,
      heartbeat,
      keys.listConsumers,
      ...this.lists,
      count,
      consumer,
      list,
      heartbeatTtl,
      ...pickSettings(this.policy, ALL_PRIORITIES),
    );
    if (taken.length > 1) return [null, taken];
    return super.read(count, Math.min(blockMs, LIST_PRIORITY_WAIT_MS));
  }

  override readAfter(
    before: (client: Redis) => Promise<void>,
    count: number,
    blockMs: number,
  ): { sent: Promise<void>; read: Promise<ListReadReply> } | undefined {
    // A look for priority lists is due, or they are in use: the read is not the plain one.
    if (this.prioritized || this.discovery.due()) return undefined;
    return super.readAfter(before, count, blockMs);
  }
}
