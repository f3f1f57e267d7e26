import { ValkeyQueueError } from './valkey-queue.error.js';

/** A `QueueAdmin` call got an argument it cannot use (count, cursor, ids). Nothing was read or written. */
export class InvalidAdminArgumentError extends ValkeyQueueError {
  constructor(
    /** The argument at fault, e.g. `count`. */
    readonly argument: string,
    /** The value given. */
    readonly value: unknown,
    /** What was expected instead. */
    readonly expected: string,
  ) {
    super('VQ_INVALID_ADMIN_ARGUMENT', `Invalid ${argument} ${describe(value)}: expected ${expected}`);
  }
}

const describe = (value: unknown): string => {
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};
