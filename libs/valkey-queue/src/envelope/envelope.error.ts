import { ValkeyQueueError } from '../errors/valkey-queue.error.js';

/** A stored message that cannot be read as an envelope: the broken-message path. */
export class EnvelopeError extends ValkeyQueueError {
  constructor(reason: string) {
    super('VQ_BROKEN_ENVELOPE', `Broken message: ${reason}`);
  }
}
