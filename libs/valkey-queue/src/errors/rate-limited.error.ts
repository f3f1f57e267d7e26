import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * The sender's rate limiter had no token within the allowed wait (its `maxWait`, the send's
 * `timeout` or the caller's AbortSignal). A wait that cannot fit is refused at once rather than
 * slept through. Nothing was written.
 */
export class RateLimitedError extends ValkeyQueueError {
  constructor(
    /** The queue the send was for. */
    readonly queue: string,
    /** The longest wait the send allowed, in ms (its `maxWait`, `timeout` or signal). */
    readonly maxWaitMs: number,
    options?: ErrorOptions,
  ) {
    super(
      'VQ_RATE_LIMITED',
      `Sending to queue '${queue}' was rate limited: no token within ${maxWaitMs} ms; nothing was written`,
      options,
    );
  }
}
