import { ValkeyQueueError } from './valkey-queue.error.js';

/** A queue name (or key prefix) that would break the key layout or its cluster hash tag. */
export class InvalidQueueNameError extends ValkeyQueueError {
  constructor(
    readonly queueName: unknown,
    reason: string,
  ) {
    super('VQ_INVALID_QUEUE_NAME', `Invalid queue name ${JSON.stringify(queueName)}: ${reason}`);
  }
}
