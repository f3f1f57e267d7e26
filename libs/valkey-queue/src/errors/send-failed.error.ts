import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * The server rejected a send, or it still failed after the retries allowed for connection-level
 * errors. `cause` holds the last error. After a connection-level failure the outcome can be
 * ambiguous (the write may have landed before the connection dropped); `ambiguous` says so.
 */
export class SendFailedError extends ValkeyQueueError {
  constructor(
    /** The queue the send was for. */
    readonly queue: string,
    /** True when the last attempt may have been written (a timeout or a dropped connection). */
    readonly ambiguous: boolean,
    reason: string,
    options?: ErrorOptions,
  ) {
    super('VQ_SEND_FAILED', `Sending to queue '${queue}' failed: ${reason}`, options);
  }
}
