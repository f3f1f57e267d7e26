import { SetMetadata } from '@nestjs/common';
import type { CatchUpPolicy } from '../interfaces/schedule.interface.js';

/** Metadata key of `@Scheduled()`. @internal */
export const SCHEDULED_METADATA = 'valkey-queue:scheduled';

/** When a `@Scheduled()` method runs: `cron` or `every`, not both. */
export interface ScheduledOptions {
  /** Unique app-wide (schedule names share one namespace with `QueueScheduler.upsert`). */
  name: string;
  /** Cron pattern, 5 fields or 6 (seconds first). */
  cron?: string;
  /** Interval in ms. */
  every?: number;
  /** IANA time zone of the cron pattern. @default 'UTC' */
  timezone?: string;
  /** Ticks missed while every instance was down. @default 'one' */
  catchUp?: CatchUpPolicy;
}

/** What a `@Scheduled()` method receives on each run. */
export interface ScheduledRun {
  /** The schedule's name. */
  readonly name: string;
  /** The tick this run is for. */
  readonly tickAt: Date;
  /** Aborted when the app shuts down before the run ends. */
  readonly signal: AbortSignal;
}

/**
 * Runs the method on exactly one app instance per tick (unlike `@nestjs/schedule`, which runs on
 * every replica), and never two runs of it at once across instances: a tick that comes while the
 * previous run is still going is skipped. A thrown error is logged and counted (the run's message
 * goes to the internal queue's dead letters), never retried.
 *
 * @example
 * @Scheduled({ name: 'purge-expired-sessions', cron: '0 * * * *' })
 * async purge(run: ScheduledRun): Promise<void> { ... }
 */
export const Scheduled = (options: ScheduledOptions): MethodDecorator =>
  SetMetadata(SCHEDULED_METADATA, options);
