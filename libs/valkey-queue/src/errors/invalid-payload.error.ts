import { ValkeyQueueError } from './valkey-queue.error.js';

/** A payload that is not valid JSON, or fails the worker's DTO validation: the message is broken. */
export class InvalidPayloadError extends ValkeyQueueError {
  constructor(
    reason: string,
    /** One line per failed validation constraint (`field: message`), when a DTO rejected it. */
    readonly details: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super('VQ_INVALID_PAYLOAD', details.length ? `${reason}: ${details.join('; ')}` : reason, options);
  }
}
