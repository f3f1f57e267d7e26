import type { ValkeyClient } from '../../connection/create-client.js';
import { raisedPriorityKeys } from '../../envelope/priority.js';
import type { PriorityPolicy } from '../../interfaces/worker-options.interface.js';

/** How often a worker looks for priority keys of its queue that it does not read yet. */
export const PRIORITY_DISCOVERY_MS = 1_000;

/**
 * Finds which priorities above 0 of a queue have a key (`<base>:p<n>`): one `EXISTS` over the 10
 * keys, and when some exist one existing-keys.lua call to tell which, at most every
 * PRIORITY_DISCOVERY_MS, or at once after `soon()` (a sender announced a priority). A queue without
 * priorities costs that one command per interval, never one per message. @internal
 */
export class PriorityDiscovery {
  private nextAt = 0;
  private readonly keys: string[];

  constructor(
    private readonly client: () => ValkeyClient,
    base: string,
  ) {
    this.keys = raisedPriorityKeys(base);
  }

  /** Looks at the next check whatever the interval. */
  soon(): void {
    this.nextAt = 0;
  }

  due(): boolean {
    return Date.now() >= this.nextAt;
  }

  /** The priorities (1..10) whose key exists, or undefined when no check was due. */
  async check(now: boolean): Promise<number[] | undefined> {
    if (!now && !this.due()) return undefined;
    this.nextAt = Date.now() + PRIORITY_DISCOVERY_MS;
    // One plain command while the queue has no priority key (all the keys share one slot).
    if ((await this.client().exists(...this.keys)) === 0) return [];
    const exists = await this.client().vqExistingKeys(this.keys.length, ...this.keys);
    const found: number[] = [];
    exists.forEach((flag, index) => {
      if (Number(flag) === 1) found.push(index + 1);
    });
    return found;
  }
}

/**
 * The mode, seed and weights arguments of read-priorities.lua and list-take-priorities.lua for
 * candidates in the order given: weight = priority + 1. @internal
 */
export function pickSettings(policy: PriorityPolicy, priorities: readonly number[]): (string | number)[] {
  const weighted = policy !== 'strict';
  // The script has no randomness of its own: a fresh seed per read.
  const seed = weighted ? Math.floor(Math.random() * 2_147_483_646) : 0;
  return [weighted ? 'weighted' : 'strict', seed, ...priorities.map((priority) => priority + 1)];
}

/** read-priorities.lua's arguments after its keys. @internal */
export function readSettings(
  group: string,
  consumer: string,
  count: number,
  noAck: boolean,
  policy: PriorityPolicy,
  streams: readonly { priority: number }[],
): (string | number)[] {
  return [
    group,
    consumer,
    count,
    noAck ? '1' : '0',
    ...pickSettings(
      policy,
      streams.map(({ priority }) => priority),
    ),
  ];
}

const TAG = /@p(\d{1,2})$/;

/** The entry id a delivery of `priority` carries: the stream entry id, with `@p<n>` above 0. @internal */
export function taggedId(entryId: string, priority: number): string {
  return priority === 0 ? entryId : `${entryId}@p${priority}`;
}

/** The stream entry id inside a tagged id. @internal */
export function untaggedId(entryId: string): string {
  return entryId.replace(TAG, '');
}

/** The priority a tagged entry id names (0 without a tag). @internal */
export function priorityOfId(entryId: string): number {
  const match = TAG.exec(entryId);
  return match ? Number(match[1]) : 0;
}

/** Items grouped by the priority their entry id names, in first-seen order. @internal */
export function splitByPriority<T extends { entryId: string }>(items: readonly T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const priority = priorityOfId(item.entryId);
    let group = groups.get(priority);
    if (!group) groups.set(priority, (group = []));
    group.push(item);
  }
  return groups;
}
