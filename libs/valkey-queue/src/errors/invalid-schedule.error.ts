import { ValkeyQueueError } from './valkey-queue.error.js';

/** A schedule definition that cannot run: bad cron, unknown time zone, non-positive interval... */
export class InvalidScheduleError extends ValkeyQueueError {
  constructor(
    readonly scheduleName: unknown,
    reason: string,
  ) {
    super('VQ_INVALID_SCHEDULE', `Invalid schedule ${JSON.stringify(scheduleName)}: ${reason}`);
  }
}
