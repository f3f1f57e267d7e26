import { ValkeyQueueError } from './valkey-queue.error.js';

/** A `@QueueWorker` class cannot be used as declared. Thrown at bootstrap, naming the class. */
export class InvalidWorkerError extends ValkeyQueueError {
  constructor(
    /** The worker class name. */
    readonly workerName: string,
    reason: string,
  ) {
    super('VQ_INVALID_WORKER', `Invalid worker ${workerName}: ${reason}`);
  }
}
