import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * A message was delivered more often than `maxRetries + 1` without its handler ever settling: the
 * workers handling it died (it probably crashes them). It is dead instead of looping.
 */
export class DeliveryLimitError extends ValkeyQueueError {
  constructor(
    /** Handler runs that never settled, including the last one. */
    readonly attempts: number,
  ) {
    super(
      'VQ_DELIVERY_LIMIT',
      `Delivered ${attempts} times without completing: the worker handling it stopped each time (crash loop?)`,
    );
  }
}
