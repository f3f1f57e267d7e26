import { ValkeyQueueError } from './valkey-queue.error.js';

/** An encoded payload is larger than `maxPayloadBytes`. Nothing was written. */
export class PayloadTooLargeError extends ValkeyQueueError {
  constructor(
    /** Size of the encoded payload, in UTF-8 bytes. */
    readonly bytes: number,
    /** The configured limit (`maxPayloadBytes`). */
    readonly limit: number,
    /** Position of the payload in a `sendBatch()` call. */
    readonly index?: number,
  ) {
    super(
      'VQ_PAYLOAD_TOO_LARGE',
      `The encoded payload${index === undefined ? '' : ` #${index}`} is ${bytes} bytes, over the limit of ${limit} bytes`,
    );
  }
}
