import { ValkeyQueueError } from './valkey-queue.error.js';

/** A feature that is reserved or unavailable in this configuration (e.g. `delay` with a custom `queueNamer`). Nothing was written. */
export class NotSupportedError extends ValkeyQueueError {
  constructor(
    /** What was asked for, e.g. `delay/at with a custom queueNamer`. */
    readonly feature: string,
    reason: string,
  ) {
    super('VQ_NOT_SUPPORTED', `${feature} is not supported: ${reason}`);
  }
}
