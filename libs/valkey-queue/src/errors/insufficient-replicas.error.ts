import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * A send with `durability` was written on the primary, but fewer replicas than required confirmed it
 * (WAIT) within `durability.timeout`. The messages exist and will most likely be delivered, but a
 * failover right now could lose them: the send is not confirmed durable. Sending again creates new
 * messages (new ids), so decide by `ids` whether a duplicate or a possible loss is worse.
 */
export class InsufficientReplicasError extends ValkeyQueueError {
  constructor(
    /** The queue the send was for. */
    readonly queue: string,
    /** Envelope ids of the messages written on the primary (a send: one; a batch chunk: its messages). */
    readonly ids: readonly string[],
    /** Replicas that had to confirm the write (`durability.replicas`). */
    readonly required: number,
    /** Replicas that confirmed it within `durability.timeout`. */
    readonly acknowledged: number,
    options?: ErrorOptions,
  ) {
    super(
      'VQ_INSUFFICIENT_REPLICAS',
      `Sent ${ids.length} message(s) to queue '${queue}' on the primary, but only ${acknowledged} of ` +
        `${required} replica(s) confirmed them in time: not durable against a failover yet`,
      options,
    );
  }
}
