import { ValkeyQueueError } from './valkey-queue.error.js';

/** The server could not be reached or refused us at startup. Names the address, never the password. */
export class ConnectionError extends ValkeyQueueError {
  constructor(
    /** `host:port` (or the sentinel / cluster seed list) we tried. */
    readonly address: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super('VQ_CONNECTION', `Cannot connect to Valkey at ${address}: ${reason}`, options);
  }
}
