import { ValkeyQueueError } from './valkey-queue.error.js';

/** `assign(stream, info)` with info that is not a JSON-serializable plain object. Nothing was written. */
export class InvalidAssignmentInfoError extends ValkeyQueueError {
  constructor(
    /** The data stream being assigned. */
    readonly stream: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super('VQ_INVALID_ASSIGNMENT_INFO', `Cannot assign '${stream}': info ${reason}`, options);
  }
}
