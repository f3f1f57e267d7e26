import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * `deleteOnAck` was set on a stream read by several consumer groups: deleting an entry when this
 * group acknowledges it would take it away from the others. Thrown when the worker starts.
 */
export class DeleteOnAckRefusedError extends ValkeyQueueError {
  constructor(
    readonly queue: string,
    /** Every consumer group found on the stream. */
    readonly groups: readonly string[],
  ) {
    super(
      'VQ_DELETE_ON_ACK_REFUSED',
      `deleteOnAck refused on queue '${queue}': the stream has ${groups.length} consumer groups ` +
        `(${groups.join(', ')}), and deleting on ack would drop entries the others have not read`,
    );
  }
}
