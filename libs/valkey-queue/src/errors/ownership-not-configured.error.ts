import { ValkeyQueueError } from './valkey-queue.error.js';

/** A `StreamOwnershipService` / `OwnershipFence` method was called without the module's `ownership` option. */
export class OwnershipNotConfiguredError extends ValkeyQueueError {
  constructor(
    /** The method that was called, e.g. `claim`. */
    readonly method: string,
  ) {
    super(
      'VQ_OWNERSHIP_NOT_CONFIGURED',
      `Stream ownership is not configured: set ValkeyQueueModule.forRoot({ ownership: { service } }) to use ${method}()`,
    );
  }
}
