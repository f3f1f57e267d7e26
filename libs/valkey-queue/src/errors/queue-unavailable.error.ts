import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * The sender's circuit breaker is open after repeated connection-level failures: the send was
 * refused without issuing a command. Retry later; `SenderStatus` shows when it recovers.
 * If the breaker opened while this send was being retried, an earlier attempt may have been
 * written before the connection failed: then `ambiguous` is true.
 */
export class QueueUnavailableError extends ValkeyQueueError {
  constructor(
    /** The queue the send was for. */
    readonly queue: string,
    /** True when an earlier attempt of this send reached the connection and may have been written. */
    readonly ambiguous = false,
    options?: ErrorOptions,
  ) {
    super(
      'VQ_QUEUE_UNAVAILABLE',
      `Cannot send to queue '${queue}': Valkey is unavailable (circuit breaker open); ${
        ambiguous ? 'an earlier attempt may have been written' : 'nothing was written'
      }`,
      options,
    );
  }
}
