import { redactCredentials } from './redact-credentials.js';

/**
 * Base class of every error this library throws. `code` is stable across releases, so callers can
 * branch on it (`error.code === 'VQ_CONFIG'`) without matching message text.
 */
export class ValkeyQueueError extends Error {
  /** Stable machine-readable code, e.g. `VQ_CONFIG`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options); // keeps `cause` (ES2022)
    redactCredentials(options?.cause);
    this.name = new.target.name;
    this.code = code;
  }
}
