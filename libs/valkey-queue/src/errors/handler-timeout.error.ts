import { ValkeyQueueError } from './valkey-queue.error.js';

/** An attempt ran longer than the worker's `timeout`: the reason of `msg.signal`, and a failed attempt. */
export class HandlerTimeoutError extends ValkeyQueueError {
  constructor(readonly timeoutMs: number) {
    super('VQ_HANDLER_TIMEOUT', `The handler did not finish within ${timeoutMs} ms`);
  }
}
