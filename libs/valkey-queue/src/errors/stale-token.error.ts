import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * A fenced write (or fencing check) was refused: `superseded` when a newer fencing token has been
 * issued for the stream, `not-held` when no live lease carries this token (it lapsed, or was never
 * issued). Nothing was written.
 */
export class StaleTokenError extends ValkeyQueueError {
  constructor(
    /** The data stream. */
    readonly stream: string,
    /** The fencing token that was refused. */
    readonly token: number,
    /** Why it was refused. */
    readonly reason: 'superseded' | 'not-held',
  ) {
    super(
      'VQ_STALE_TOKEN',
      `Fencing token ${token} of stream '${stream}' was refused: ${
        reason === 'superseded' ? 'a newer token has been issued' : 'no live lease carries it'
      }; nothing was written`,
    );
  }
}
