import { ValkeyQueueError } from './valkey-queue.error.js';

/** A handler threw (or rejected with) something that is not an `Error`; it is wrapped in this. */
export class NonErrorThrownError extends ValkeyQueueError {
  constructor(
    /** What was thrown. */
    readonly value: unknown,
  ) {
    super('VQ_NON_ERROR_THROWN', `Non-error thrown: ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
