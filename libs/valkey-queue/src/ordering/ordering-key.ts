import { InvalidSendOptionsError } from '../errors/invalid-send-options.error.js';
import type { SendOptions } from '../interfaces/send-options.interface.js';

/** Longest ordering key, in UTF-8 bytes: it becomes part of a key name and of every ordering script call. */
export const MAX_ORDERING_KEY_BYTES = 256;

/** Returns `value` if it is a usable ordering key; throws `InvalidSendOptionsError` naming `orderingKey`. */
export function checkOrderingKey(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    Buffer.byteLength(value, 'utf8') > MAX_ORDERING_KEY_BYTES
  ) {
    throw new InvalidSendOptionsError(
      'orderingKey',
      value,
      `a non-empty string of at most ${MAX_ORDERING_KEY_BYTES} UTF-8 bytes`,
    );
  }
  return value;
}

/**
 * Checks `orderingKey` (returned) and what it cannot go with: a priority (an ordered key runs its messages in
 * send order, which a priority would contradict). Throws `InvalidSendOptionsError`. @internal
 */
export function checkOrderingOptions(options: SendOptions): string {
  const orderingKey = checkOrderingKey(options.orderingKey);
  if (options.priority !== undefined && options.priority !== 0) {
    throw new InvalidSendOptionsError(
      'orderingKey',
      options.orderingKey,
      'no priority with an orderingKey (messages of one key run in send order)',
    );
  }
  return orderingKey;
}
