import type { Logger } from '@nestjs/common';
import { errorMessage } from '../utils/with-timeout.util.js';

/** Most entries per script call: keeps each script short and Lua's unpack() far from its limit. */
export const MAX_BATCH = 500;
/** Failed writes of one item before it is given up (it stays pending and is redelivered later). */
export const MAX_FLUSH_FAILURES = 20;
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * Coalesces outcomes (acks, retries, dead-letter moves) into few script calls: items added during
 * one event-loop turn are written together on the next (setImmediate), with at most one write in
 * flight, so a busy worker batches more, not less. A failed write is retried with backoff; after
 * repeated failures the items are given up: their entries stay pending and are redelivered, which
 * at-least-once allows. @internal
 */
export class OutcomeBatcher<T extends object> {
  private queue: T[] = [];
  /** Failed writes per item; only items that failed at least once are in it. */
  private readonly failures = new Map<T, number>();
  private flushing?: Promise<void>;
  /** The pending setImmediate of a scheduled write (set while one is scheduled), cleared when take() voids it. */
  private immediate?: NodeJS.Immediate;
  private retryTimer?: NodeJS.Timeout;
  private failing = false;

  constructor(
    private readonly label: string,
    private readonly write: (items: T[]) => Promise<void>,
    /** Called with items once they are written (true) or given up (false). */
    private readonly settled: (items: T[], written: boolean) => void,
    private readonly logger: Logger,
    /** Wait one more event-loop turn before writing, so the read loop can take the items first. */
    private readonly extraTurn = false,
  ) {}

  /** Items waiting or being written. */
  get size(): number {
    return this.queue.length;
  }

  add(item: T): void {
    this.queue.push(item);
    this.schedule();
  }

  /**
   * Removes and returns the items waiting (not being written), at most MAX_BATCH, for the caller to
   * write itself in one script call; the rest stay queued and are written as usual.
   */
  take(): T[] {
    if (this.queue.length === 0 || this.retryTimer) return [];
    // The write scheduled for these items is void: items added later get a write (and turn) of their own.
    this.cancelScheduled();
    if (this.queue.length > MAX_BATCH) {
      const items = this.queue.splice(0, MAX_BATCH);
      this.schedule();
      return items;
    }
    const items = this.queue;
    this.queue = [];
    return items;
  }

  /** Puts back items taken with `take()` and not written. */
  giveBack(items: T[]): void {
    for (const item of items) this.add(item);
  }

  /** Reports items the caller wrote itself (after `take()`): written, or failed and queued again. */
  report(items: T[], error?: unknown): void {
    if (error === undefined) {
      this.settled(items, true);
      return;
    }
    if (!this.failing) this.logger.warn(`Writing ${this.label} failed: ${errorMessage(error)}; retrying`);
    this.failing = true;
    for (const item of items) this.add(item);
  }

  /** Writes everything now (shutdown); what still fails after `maxRounds` attempts is given up. */
  async drain(maxRounds = 3): Promise<void> {
    for (let round = 0; round < maxRounds && (this.queue.length > 0 || this.flushing); round += 1) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      await (this.flushing ?? this.flush());
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.queue.length > 0) {
      const left = this.queue.splice(0);
      this.logger.error(`Could not write ${left.length} ${this.label}: their messages stay pending`);
      this.giveUp(left);
    }
  }

  private schedule(): void {
    if (this.immediate || this.flushing || this.retryTimer) return;
    const run = (): void => {
      this.immediate = undefined;
      void this.flush();
    };
    this.immediate = setImmediate(
      this.extraTurn
        ? () => {
            this.immediate = setImmediate(run);
          }
        : run,
    );
  }

  /**
   * Voids the scheduled write. Without this, a write scheduled for items `take()` already had would
   * fire a turn later and write the items added since, before the read loop could take them.
   */
  private cancelScheduled(): void {
    if (!this.immediate) return;
    // Cleared, not left to fire and do nothing: at concurrency 1 that was two idle callbacks per message.
    clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  private flush(): Promise<void> {
    this.flushing ??= this.writeAll().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0 && !this.retryTimer) this.schedule();
    });
    return this.flushing;
  }

  private async writeAll(): Promise<void> {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const failed: T[] = [];
    let lastError: unknown;
    for (let start = 0; start < batch.length; start += MAX_BATCH) {
      const chunk = batch.length <= MAX_BATCH ? batch : batch.slice(start, start + MAX_BATCH);
      try {
        await this.write(chunk);
        if (this.failures.size > 0) for (const item of chunk) this.failures.delete(item);
        this.settled(chunk, true);
      } catch (error) {
        lastError = error;
        failed.push(...chunk);
      }
    }
    if (failed.length === 0) {
      if (this.failing) this.logger.log(`Writing ${this.label} works again`);
      this.failing = false;
      return;
    }
    if (!this.failing) this.logger.warn(`Writing ${this.label} failed: ${errorMessage(lastError)}; retrying`);
    this.failing = true;
    const kept: T[] = [];
    const givenUp: T[] = [];
    let fewest = Infinity;
    for (const item of failed) {
      const count = (this.failures.get(item) ?? 0) + 1;
      if (count >= MAX_FLUSH_FAILURES) {
        givenUp.push(item);
      } else {
        this.failures.set(item, count);
        kept.push(item);
        fewest = Math.min(fewest, count);
      }
    }
    if (givenUp.length > 0) {
      this.logger.error(`Gave up writing ${givenUp.length} ${this.label}: their messages stay pending`);
      this.giveUp(givenUp);
    }
    if (kept.length === 0) return;
    this.queue = [...kept, ...this.queue];
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (fewest - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, delay);
    this.retryTimer.unref();
  }

  private giveUp(items: T[]): void {
    for (const item of items) this.failures.delete(item);
    this.settled(items, false);
  }
}
