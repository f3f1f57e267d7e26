import type { Logger } from '@nestjs/common';
import type { ValkeyClient } from '../../connection/create-client.js';
import { raisedPriorityKeys } from '../../envelope/priority.js';
import { errorMessage, withTimeout } from '../../utils/with-timeout.util.js';
import type { ListConsumerSettings } from './list-consumer-settings.js';

/** Candidates per list-reap.lua call (two keys each). */
const REAP_CHUNK = 50;
/** Most elements list-reap.lua moves per dead consumer per call; the next sweep continues. */
const REAP_LIMIT = 1_000;
/** Elements per list-hand-back.lua call. */
const HAND_BACK_CHUNK = 500;
/** Longest wait for the clean "leave" at shutdown (the server may be unreachable; the heartbeat then expires). */
const LEAVE_TIMEOUT_MS = 1_000;

/** A list element's bytes as a map key (latin1 maps each byte to one character, so equal keys are equal bytes). @internal */
export const byteKey = (element: Buffer): string => element.toString('latin1');

/** What recovery needs to know about the consumer it runs for. @internal */
export interface ListRecoveryContext extends ListConsumerSettings {
  readonly client: ValkeyClient;
  readonly logger: Logger;
}

/**
 * Crash recovery of the list transport:
 * - membership: a heartbeat key (PX claimIdle, renewed every claimIdle / 3) and a registration
 *   with the list consumed, so the others know who is alive; a clean shutdown leaves;
 * and, from the consumer's sweep (every claimIdle / 2):
 * - reap: return the in-flight lists of consumers of the same list whose heartbeat expired to the
 *   queue (list-reap.lua re-checks the heartbeat in the same script);
 * - reconcile: return elements of our own in-flight list that this consumer no longer tracks
 *   (an outcome that could not be written and was given up, a read whose reply was lost, a
 *   restart under a stable name) to the queue, where they are read again.
 * @internal
 */
export class ListRecovery {
  constructor(private readonly context: ListRecoveryContext) {}

  /** Renews the heartbeat and the registration; resolves 0 when the heartbeat had lapsed meanwhile. */
  beat(): Promise<number> {
    return this.heartbeat('beat');
  }

  /** Drops the heartbeat and the registration if nothing is in flight (bounded; failures only logged). */
  async leave(): Promise<void> {
    try {
      await withTimeout(this.heartbeat('leave'), LEAVE_TIMEOUT_MS, 'Leaving the list consumers');
    } catch (error) {
      // The heartbeat expires on its own; others then return whatever is left.
      this.context.logger.debug(
        `Leaving list consumers of '${this.context.queue}' failed: ${errorMessage(error)}`,
      );
    }
  }

  private heartbeat(mode: 'beat' | 'leave'): Promise<number> {
    const { client, keys, heartbeat, inflight, consumer, list, heartbeatTtl } = this.context;
    return client.vqListHeartbeat(
      heartbeat,
      keys.listConsumers,
      inflight,
      consumer,
      list,
      heartbeatTtl,
      mode,
    );
  }

  /** Returns the in-flight lists of dead consumers of our list to the queue; resolves how many moved. */
  async reap(registry: Record<string, string>): Promise<number> {
    const { client, keys, list, consumer, logger, queue } = this.context;
    const candidates = Object.entries(registry)
      .filter(([name, key]) => key === list && name !== consumer)
      .map(([name]) => name);
    let moved = 0;
    for (let start = 0; start < candidates.length; start += REAP_CHUNK) {
      const chunk = candidates.slice(start, start + REAP_CHUNK);
      const results = await client.vqListReap(
        13 + 2 * chunk.length,
        keys.listConsumers,
        list,
        keys.listDeliveries,
        ...chunk.flatMap((name) => [keys.heartbeat(name), keys.inflight(name)]),
        // Each element goes back to its priority's list.
        ...raisedPriorityKeys(list),
        list,
        REAP_LIMIT,
        ...chunk,
      );
      results.forEach((result, index) => {
        if (Number(result) <= 0) return;
        moved += Number(result);
        logger.warn(
          `Returned ${result} in-flight messages of list consumer '${chunk[index]}' (heartbeat expired) to queue '${queue}'`,
        );
      });
    }
    return moved;
  }

  /**
   * Returns to the queue what our in-flight list holds beyond `tracked` (the elements of the
   * deliveries this consumer holds, one per delivery). `length` is the in-flight list's length read
   * with the registry: when it is not above the tracked count, nothing is read. Resolves how many moved.
   */
  async reconcile(length: number, tracked: readonly Buffer[]): Promise<number> {
    if (length <= tracked.length) return 0;
    const { client, keys, list, inflight, logger, queue } = this.context;
    // As bytes: the hand-back finds each element by its exact bytes, UTF-8 or not.
    const stored = await client.lrangeBuffer(inflight, 0, -1);
    const remaining = new Map<string, number>();
    for (const element of tracked) {
      const key = byteKey(element);
      remaining.set(key, (remaining.get(key) ?? 0) + 1);
    }
    const orphans: Buffer[] = [];
    // From the oldest end, so orphans are read again in their order.
    for (let index = stored.length - 1; index >= 0; index -= 1) {
      const element = stored[index];
      const key = byteKey(element);
      const count = remaining.get(key) ?? 0;
      if (count > 0) remaining.set(key, count - 1);
      else orphans.push(element);
    }
    let moved = 0;
    for (let start = 0; start < orphans.length; start += HAND_BACK_CHUNK) {
      const chunk = orphans.slice(start, start + HAND_BACK_CHUNK);
      // Left by a crash, a lost read reply or a given-up outcome: each was delivered, so it counts.
      moved += await client.vqListHandBackRouted(
        13,
        inflight,
        list,
        keys.listDeliveries,
        ...raisedPriorityKeys(list),
        '1',
        ...chunk,
      );
    }
    if (moved > 0) logger.warn(`Returned ${moved} untracked in-flight messages to queue '${queue}'`);
    return moved;
  }
}
