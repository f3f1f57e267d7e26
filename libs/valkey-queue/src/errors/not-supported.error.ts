import { ValkeyQueueError } from './valkey-queue.error.js';

/** A feature that is reserved or unavailable in this configuration (e.g. `priority`). Nothing was written. */
export class NotSupportedError extends ValkeyQueueError {
  constructor(
    /** What was asked for, e.g. `priority`. */
    readonly feature: string,
    reason: string,
  ) {
    super('VQ_NOT_SUPPORTED', `${feature} is not supported: ${reason}`);
  }
}
