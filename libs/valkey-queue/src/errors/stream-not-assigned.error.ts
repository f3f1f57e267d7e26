import { ValkeyQueueError } from './valkey-queue.error.js';

/** `claim(stream)` for a stream that is not assigned (never assigned, or already completed). */
export class StreamNotAssignedError extends ValkeyQueueError {
  constructor(
    /** The data stream that was claimed. */
    readonly stream: string,
  ) {
    super(
      'VQ_STREAM_NOT_ASSIGNED',
      `Stream '${stream}' is not assigned (never assigned, or already completed): assign() it first`,
    );
  }
}
