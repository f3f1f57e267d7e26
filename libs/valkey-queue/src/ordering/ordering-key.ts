import { InvalidSendOptionsError } from '../errors/invalid-send-options.error.js';

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
