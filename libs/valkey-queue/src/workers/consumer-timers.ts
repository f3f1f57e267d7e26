import type { Logger } from '@nestjs/common';
import { errorMessage } from '../utils/with-timeout.util.js';
import type { InFlightSet } from './in-flight-set.js';
import type { MessageSource } from './message-source.interface.js';
import type { ResolvedWorkerOptions } from '../config/worker-options.js';

/**
 * The periodic work of a consumer that must not wait for its read loop: keeping held messages
 * fresh (every claimIdle / 3, so no other consumer reclaims a running handler's message) and
 * removing long-idle consumers of the group (every consumerIdleCleanup / 2, at most every 10 min).
 * Timers are unref'd: they never keep a process alive. @internal
 */
export class ConsumerTimers {
  private refreshTimer?: NodeJS.Timeout;
  private cleanupTimer?: NodeJS.Timeout;

  constructor(
    private readonly options: ResolvedWorkerOptions,
    private readonly source: MessageSource,
    private readonly held: InFlightSet,
    private readonly logger: Logger,
    /** Runs a task in the background (the consumer awaits them at shutdown). */
    private readonly track: (task: Promise<unknown>) => void,
  ) {}

  start(): void {
    const { noAck, claimIdle, consumerIdleCleanup } = this.options;
    if (noAck) return; // nothing is ever pending
    this.refreshTimer = setInterval(() => this.track(this.refresh()), Math.max(1, claimIdle / 3));
    this.refreshTimer.unref();
    if (consumerIdleCleanup > 0) {
      const every = Math.min(600_000, Math.max(1_000, consumerIdleCleanup / 2));
      this.cleanupTimer = setInterval(() => this.track(this.cleanup()), every);
      this.cleanupTimer.unref();
    }
  }

  /** Stops the clean-up; refreshing goes on until `stopRefreshing()` (shutdown still holds messages). */
  stopCleanup(): void {
    clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
  }

  stopRefreshing(): void {
    clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /**
   * Keeps the idle time of every held message at 0, so no other consumer reclaims it (the source
   * bounds its script calls). Called also with nothing held: the list transport renews its heartbeat here.
   */
  private async refresh(): Promise<void> {
    try {
      const lost = await this.source.refresh(this.held.ids());
      // An entry whose outcome was written meanwhile (an ack racing this refresh) is not lost.
      const reclaimed = this.held.withoutOutcome(lost);
      if (reclaimed.length > 0) {
        this.logger.warn(
          `${reclaimed.length} messages of '${this.options.queue}' were reclaimed by another consumer meanwhile`,
        );
      }
    } catch (error) {
      this.logger.warn(`Refreshing running messages failed: ${errorMessage(error)}`);
    }
  }

  private async cleanup(): Promise<void> {
    try {
      const removed = await this.source.cleanupConsumers(this.options.consumerIdleCleanup);
      if (removed > 0)
        this.logger.log(`Removed ${removed} idle consumers from group '${this.options.group}'`);
    } catch (error) {
      this.logger.debug(`Consumer clean-up failed: ${errorMessage(error)}`);
    }
  }
}
