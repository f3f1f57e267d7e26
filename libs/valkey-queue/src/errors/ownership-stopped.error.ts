import { ValkeyQueueError } from './valkey-queue.error.js';

/** The ownership service has terminated (application shutdown or an unrecoverable misconfiguration). */
export class OwnershipStoppedError extends ValkeyQueueError {
  constructor(
    /** Why it terminated: the `reason` of the `'terminated'` event. */
    readonly reason: string,
  ) {
    super('VQ_OWNERSHIP_STOPPED', `The stream ownership service has terminated: ${reason}`);
  }
}
