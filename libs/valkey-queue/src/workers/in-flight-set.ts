import type { RawDelivery } from './message-source.interface.js';
import type { InFlight } from './worker-definition.js';

/**
 * The messages one consumer holds, keyed by entry id: from delivery until their outcome is written
 * (or given up). Counts the concurrency slots they occupy while a handler or hook runs, and wakes
 * the read loop when a slot frees. @internal
 */
export class InFlightSet {
  private readonly entries = new Map<string, InFlight>();
  private activeCount = 0;
  private waiter?: () => void;
  private wakeScheduled = false;

  /** Slots in use: handlers and hooks running. */
  get active(): number {
    return this.activeCount;
  }

  /** Takes new deliveries: one record per delivery not already held, each occupying a slot. */
  hold(deliveries: readonly RawDelivery[]): InFlight[] {
    const held: InFlight[] = [];
    for (const raw of deliveries) {
      if (this.entries.has(raw.entryId)) continue; // already ours: a sweep re-claimed what we are running
      const entry: InFlight = {
        raw,
        entryId: raw.entryId,
        id: '',
        running: true,
        outcome: 'none',
        abandoned: false,
      };
      this.entries.set(raw.entryId, entry);
      held.push(entry);
    }
    this.activeCount += held.length;
    return held;
  }

  /** Its handler (or hook) is over: free the slot; forget it unless an outcome waits to be written. */
  release(entry: InFlight): void {
    entry.running = false;
    this.activeCount -= 1;
    if (entry.outcome === 'none') this.forget(entry);
    this.wake();
  }

  /** Its outcome is written (or given up): no longer ours to keep fresh. */
  written(entry: InFlight): void {
    entry.outcome = 'none';
    if (!entry.running) this.forget(entry);
  }

  /** Entry ids of every held message (to refresh their idle time). */
  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** Those of `entryIds` still held with no outcome given: their handler or hook still runs. */
  withoutOutcome(entryIds: readonly string[]): string[] {
    return entryIds.filter((entryId) => this.entries.get(entryId)?.outcome === 'none');
  }

  /** Held messages whose handler or hook still runs. */
  running(): InFlight[] {
    return [...this.entries.values()].filter((entry) => entry.running);
  }

  /**
   * Resolves once a slot is free, one event-loop turn later, so handlers finishing together free
   * their slots together (one larger read instead of many small ones); at once when every slot is
   * free; or when `signal` aborts.
   */
  slotFreed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      if (signal.aborted) resolve();
    });
  }

  /** Ends a `slotFreed()` wait at once (shutdown). */
  interrupt(): void {
    const resolve = this.waiter;
    this.waiter = undefined;
    resolve?.();
  }

  clear(): void {
    this.entries.clear();
    this.activeCount = 0;
  }

  private forget(entry: InFlight): void {
    if (this.entries.get(entry.entryId) === entry) this.entries.delete(entry.entryId);
  }

  private wake(): void {
    if (!this.waiter) return;
    // Every slot is free: no other handler can finish first, so waiting a turn would only delay the read.
    if (this.activeCount === 0) return this.interrupt();
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.interrupt();
    });
  }
}
