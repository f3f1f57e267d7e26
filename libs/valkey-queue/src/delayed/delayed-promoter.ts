import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import { QueueSignals } from '../signals/queue-signals.js';
import { queueKeys, type QueueKeys } from '../utils/keys.util.js';
import { priorityChannel, raisedPriorityKeys } from '../envelope/priority.js';
import { errorMessage } from '../utils/with-timeout.util.js';
import { VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import type { QueueTransport } from '../interfaces/queue-transport.interface.js';

/**
 * Longest sleep while wake-up signals arrive: a safety net only, since every message that becomes
 * a queue's earliest is signalled, and a resync follows every reconnect.
 */
export const SIGNALED_RECHECK_MS = 300_000;

interface WatchedQueue {
  readonly name: string;
  readonly transport: QueueTransport;
  readonly keys: QueueKeys;
  /** Where due messages go: the queue's stream or list, or a list worker's queueNamer key. */
  readonly target: string;
  /** The target's priority keys (1..10): a due message goes to its priority's key. */
  readonly priorityKeys: string[];
  timer?: NodeJS.Timeout;
  /** Local clock time the timer fires at (Infinity while a run is in progress). */
  wakeAt: number;
  /** The run in progress, awaited at shutdown. */
  running?: Promise<void>;
  /** True from the start of a run until its next timer is armed (cleared synchronously). */
  inRun: boolean;
  /** A message was scheduled during a run: the run reads the set once more before sleeping. */
  rerun: boolean;
  failing: boolean;
}

/**
 * Moves due delayed messages (delayed sends, retries, schedule ticks) onto their queues. Every
 * instance that sends to, consumes or schedules a queue promotes it; promote-due.lua makes that
 * safe (each message moves exactly once however many instances run it).
 *
 * It sleeps until the earliest due time. A message scheduled here wakes it early, and so does one
 * scheduled elsewhere: the scripts that add delayed messages publish on the queue's delayed-set
 * channel when the new message is due before every other (QueueSignals). An idle queue therefore
 * costs no commands; only without signals (refused subscription, reconnecting) is the sleep capped
 * at `scheduler.pollInterval`. Bursts are moved in pages of `scheduler.promoteBatchSize`, so no
 * single script runs long.
 */
@Injectable()
export class DelayedPromoter implements OnApplicationShutdown {
  private readonly logger = new Logger(DelayedPromoter.name);
  private readonly queues = new Map<string, WatchedQueue>();
  private closed = false;

  constructor(
    private readonly connection: ValkeyConnection,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
    private readonly signals: QueueSignals,
  ) {}

  /**
   * Starts promoting `queue` in this instance (idempotent). The first check runs at once. `target`
   * overrides the key due messages are appended to (a list worker's queueNamer key); the first
   * watch of a queue decides.
   */
  watch(queue: string, transport: QueueTransport, target?: string): void {
    if (this.closed) return;
    const existing = this.queues.get(queue);
    if (existing) {
      if (target !== undefined && target !== existing.target) {
        this.logger.warn(
          `Delayed messages of '${queue}' already go to '${existing.target}', not '${target}': ` +
            'use one key per queue name',
        );
      }
      return;
    }
    const keys = queueKeys(this.options.prefix, queue);
    const base = target ?? (transport === 'list' ? keys.list : keys.stream);
    const watched: WatchedQueue = {
      name: queue,
      transport,
      keys,
      target: base,
      priorityKeys: raisedPriorityKeys(base),
      wakeAt: Infinity,
      inRun: false,
      rerun: false,
      failing: false,
    };
    this.queues.set(queue, watched);
    this.wake(watched, 0);
    this.signals.listen(keys.delayed, {
      message: (dueAt) => this.scheduled(queue, Number(dueAt)),
      resync: () => this.scheduled(queue, 0),
    });
  }

  /** A message due at `dueAt` (epoch ms) was just added to `queue`: wake up in time for it. */
  scheduled(queue: string, dueAt: number): void {
    const watched = this.queues.get(queue);
    if (!watched || this.closed) return;
    if (watched.inRun) {
      watched.rerun = true; // the run in progress may have read the set before this message arrived
      return;
    }
    if (dueAt < watched.wakeAt) this.wake(watched, Math.max(0, dueAt - Date.now()));
  }

  /** Queues promoted by this instance (for health and tests). */
  watchedQueues(): string[] {
    return [...this.queues.keys()];
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    for (const watched of this.queues.values()) clearTimeout(watched.timer);
    await Promise.all([...this.queues.values()].map((watched) => watched.running));
  }

  private wake(watched: WatchedQueue, delayMs: number): void {
    clearTimeout(watched.timer);
    watched.wakeAt = Date.now() + delayMs;
    watched.timer = setTimeout(() => {
      watched.wakeAt = Infinity;
      watched.inRun = true;
      watched.running = this.promote(watched).finally(() => {
        watched.running = undefined;
      });
    }, delayMs);
  }

  /** Moves every due message in pages, then sleeps until the next one (or the poll interval). */
  private async promote(watched: WatchedQueue): Promise<void> {
    const { promoteBatchSize } = this.options.scheduler;
    const longest = this.signals.live ? SIGNALED_RECHECK_MS : this.options.scheduler.pollInterval;
    let sleepMs = longest;
    try {
      let promoted: number;
      let nextDue: number;
      let serverNow: number;
      do {
        watched.rerun = false;
        [promoted, nextDue, serverNow] = await this.connection.client.vqPromoteDueRouted(
          14,
          watched.keys.delayed,
          watched.keys.delayedBodies,
          watched.target,
          watched.keys.dead,
          ...watched.priorityKeys,
          promoteBatchSize,
          watched.transport,
          priorityChannel(watched.target),
        );
      } while ((promoted === promoteBatchSize || watched.rerun) && !this.closed);
      // The server's clock decides what is due; sleep by the distance on that clock.
      if (nextDue >= 0) sleepMs = Math.min(longest, Math.max(0, nextDue - serverNow));
      if (watched.failing) this.logger.log(`Promoting delayed messages of '${watched.name}' works again`);
      watched.failing = false;
    } catch (error) {
      if (!watched.failing && !this.closed) {
        this.logger.warn(
          `Promoting delayed messages of '${watched.name}' failed: ${errorMessage(error)}; retrying`,
        );
      }
      watched.failing = true;
      sleepMs = this.options.scheduler.pollInterval;
    }
    // No await from here on: a message scheduled now is seen by the next run, armed below.
    watched.inRun = false;
    if (!this.closed) this.wake(watched, sleepMs);
  }
}
