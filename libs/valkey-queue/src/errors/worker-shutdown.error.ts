import { ValkeyQueueError } from './valkey-queue.error.js';

/** The reason of `msg.signal` when the shutdown deadline passes: the message stays pending for another worker. */
export class WorkerShutdownError extends ValkeyQueueError {
  constructor(readonly queue: string) {
    super('VQ_WORKER_SHUTDOWN', `The worker of queue '${queue}' is shutting down`);
  }
}
