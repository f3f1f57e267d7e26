import { ValkeyQueueError } from './valkey-queue.error.js';

/** An environment variable (or a file it names) could not be used. Names the variable. */
export class ConfigError extends ValkeyQueueError {
  constructor(
    /** The variable or option at fault, e.g. `VALKEY_QUEUE_PORT`. */
    readonly variable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('VQ_CONFIG', `${variable}: ${message}`, options);
  }
}
