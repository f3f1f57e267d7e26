import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * A message was delivered more often than `maxRetries + 1` without its handler ever settling: the
 * workers handling it died (it probably crashes them). It is dead instead of looping.
 */
export class DeliveryLimitError extends ValkeyQueueError {
  constructor(
    /** Handler runs of the message, earlier retries included (its `attempts`). */
    readonly attempts: number,
    /** Deliveries of the last copy that never completed: the worker died during each. @default attempts */
    readonly deliveries: number = attempts,
  ) {
    super(
      'VQ_DELIVERY_LIMIT',
      `Delivered ${deliveries} times without completing: the worker handling it stopped each time (crash loop?)`,
    );
  }
}
