import { ValkeyQueueError } from './valkey-queue.error.js';

/** A `SendOptions` field has a wrong type or value. Nothing was written. */
export class InvalidSendOptionsError extends ValkeyQueueError {
  constructor(
    /** The option at fault, e.g. `delay`. */
    readonly option: string,
    /** The value given. */
    readonly value: unknown,
    /** What was expected instead. */
    expected: string,
  ) {
    super(
      'VQ_INVALID_SEND_OPTIONS',
      `Invalid send option ${option} = ${describe(value)}: expected ${expected}`,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
