import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * `release()` / `releaseAll()` found that this instance no longer holds the lease (it lapsed,
 * was handed back, or another consumer took the stream): nothing was acknowledged, so the current
 * owner's work is never marked done by a stale owner.
 */
export class LeaseLostError extends ValkeyQueueError {
  /** The first (often the only) stream whose lease was lost. */
  readonly stream: string;

  constructor(
    /** Every stream whose lease was lost. */
    readonly streams: readonly string[],
    reason = 'this instance no longer holds its lease',
  ) {
    const names = streams.map((stream) => `'${stream}'`).join(', ');
    super('VQ_LEASE_LOST', `Cannot release ${names}: ${reason}; nothing was acknowledged`);
    this.stream = streams[0] ?? '';
  }
}
