import { ValkeyQueueError } from './valkey-queue.error.js';

/** Two workers of one app consume the same queue in the same consumer group. Thrown at bootstrap. */
export class DuplicateWorkerError extends ValkeyQueueError {
  constructor(
    readonly queue: string,
    readonly group: string,
    /** The two worker class names. */
    readonly workerNames: readonly [string, string],
  ) {
    super(
      'VQ_DUPLICATE_WORKER',
      `Workers ${workerNames[0]} and ${workerNames[1]} both consume queue '${queue}' in group '${group}': ` +
        'give one of them another group, or merge them',
    );
  }
}
