import type { QueueTransport } from './queue-transport.interface.js';

/** What to do with ticks missed while no instance was running. */
export type CatchUpPolicy = 'none' | 'one' | 'all';

/** A schedule for `QueueScheduler.upsert()`: `cron` or `every`, not both. */
export interface ScheduleDefinition<T = unknown> {
  /** Unique across the app (all queues); upserting the same name replaces the schedule. */
  name: string;
  /** Cron pattern, 5 fields (minute precision) or 6 (seconds first). */
  cron?: string;
  /** Fixed interval in ms (> 0), counted from `startAt` or from the first upsert. */
  every?: number;
  /** IANA time zone the cron pattern is read in. @default 'UTC' */
  timezone?: string;
  /** Queue that receives one message per tick. */
  queue: string;
  /** Transport of that queue. @default 'stream' */
  transport?: QueueTransport;
  /** Payload of every tick message. */
  payload: T;
  /** Extra headers on every tick message (the tick adds `vq-schedule` and `vq-tick`). */
  headers?: Record<string, string>;
  /** Labels on every tick message (`msg.labels`); the rules of `SendOptions.labels`. */
  labels?: Record<string, string>;
  /** Priority of every tick message (`SendOptions.priority`: 0..10, higher handled sooner). @default 0 */
  priority?: number;
  /**
   * Ordering key of every tick message (`SendOptions.orderingKey`): the ticks are handled one at a
   * time, in order, with the key's other messages (docs/ordering.md). Stream transport only; not
   * with a priority.
   */
  orderingKey?: string;
  /** No tick before this time. */
  startAt?: Date | number;
  /** No tick at or after this time. */
  endAt?: Date | number;
  /** Stop after this many ticks. */
  limit?: number;
  /**
   * Ticks missed while every instance was down: `one` fires once for the whole missed period (the
   * latest missed tick), `all` fires each of them (at most 100), `none` fires none.
   * @default 'one'
   */
  catchUp?: CatchUpPolicy;
}

/** A stored schedule, as `QueueScheduler.list()` reports it. */
export interface ScheduleInfo {
  name: string;
  queue: string;
  transport: QueueTransport;
  cron?: string;
  every?: number;
  timezone: string;
  catchUp: CatchUpPolicy;
  startAt?: Date;
  endAt?: Date;
  limit?: number;
  /** Ticks fired so far. */
  runs: number;
  /** Time of the last fired tick. */
  lastRunAt?: Date;
  /** Time of the next tick, or null when the schedule has ended. */
  nextRunAt: Date | null;
  /** Priority of every tick message (0..10). */
  priority: number;
  /** Labels on every tick message, when the schedule has any. */
  labels?: Record<string, string>;
  /** Ordering key of every tick message, when the schedule has one. */
  orderingKey?: string;
}
