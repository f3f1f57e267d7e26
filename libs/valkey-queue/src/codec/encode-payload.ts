import { PayloadTooLargeError } from '../errors/payload-too-large.error.js';
import { SerializationError } from '../errors/serialization.error.js';
import type { PayloadCodec } from './payload-codec.interface.js';

/**
 * Encodes one payload with `codec` and enforces `maxBytes` (UTF-8). Throws `SerializationError`
 * (the codec threw or returned a non-string) or `PayloadTooLargeError`; `index` names a batch position.
 * @internal
 */
export function encodePayload(codec: PayloadCodec, value: unknown, maxBytes: number, index?: number): string {
  let text: unknown;
  try {
    text = codec.encode(value);
  } catch (error) {
    throw new SerializationError(
      error instanceof Error ? error.message : String(error),
      { cause: error },
      index,
    );
  }
  if (typeof text !== 'string') {
    throw new SerializationError(`the codec returned ${typeof text}, not a string`, undefined, index);
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short texts skip the byte count.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) throw new PayloadTooLargeError(bytes, maxBytes, index);
  }
  return text;
}
