import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * `claim(stream)` found a live lease on the stream (another consumer's, or one this instance already
 * holds): nothing was changed. Of N concurrent claims of a free stream, exactly one resolves and the
 * others reject with this error.
 */
export class OwnershipConflictError extends ValkeyQueueError {
  constructor(
    /** The data stream that was claimed. */
    readonly stream: string,
    /** The current holder's consumer id, when known. */
    readonly holder?: string,
  ) {
    super(
      'VQ_OWNERSHIP_CONFLICT',
      `Stream '${stream}' is already owned${holder ? ` by '${holder}'` : ''}: its lease is live`,
    );
  }
}

/** The name issue 6 uses for {@link OwnershipConflictError}: the same class. */
export const StreamAlreadyOwnedError = OwnershipConflictError;
/** The name issue 6 uses for {@link OwnershipConflictError}: the same class. */
export type StreamAlreadyOwnedError = OwnershipConflictError;
