import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * Throw it from an `@OnMessage()` handler to skip the remaining retries: the message goes to the
 * dead-letter stream (and `@OnDead()`) at once.
 * @example throw new UnrecoverableError('order 42 no longer exists');
 */
export class UnrecoverableError extends ValkeyQueueError {
  constructor(message: string, options?: ErrorOptions) {
    super('VQ_UNRECOVERABLE', message, options);
  }
}
