import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * Throw it from an `@OnMessage()` handler to retry after `delayMs` instead of the worker's
 * backoff (e.g. what a rate-limited API asked for). It still counts as a failed attempt, so
 * `maxRetries` still applies.
 * @example throw new RetryAfterError(30_000, 'the API answered 429');
 */
export class RetryAfterError extends ValkeyQueueError {
  constructor(
    /** Delay before the retry, in ms, measured from the failure. */
    readonly delayMs: number,
    message = `Retry after ${delayMs} ms`,
    options?: ErrorOptions,
  ) {
    super('VQ_RETRY_AFTER', message, options);
  }
}
