import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * The codec could not encode a payload (a circular structure, a BigInt with the JSON codec,
 * `undefined`, or a codec that did not return a string). Nothing was written.
 */
export class SerializationError extends ValkeyQueueError {
  constructor(
    reason: string,
    options?: ErrorOptions,
    /** Position of the payload in a `sendBatch()` call. */
    readonly index?: number,
  ) {
    super(
      'VQ_SERIALIZATION',
      `The payload${index === undefined ? '' : ` #${index}`} cannot be encoded: ${reason}`,
      options,
    );
  }
}
