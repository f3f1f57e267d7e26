import { invalidUtf8Reason } from '../../utils/utf8.util.js';

/**
 * The fields of a stored body (`<byte length>:<value>` per field, docs/key-layout.md), split by byte
 * length as the scripts write it; `invalid` says why the bytes are not an envelope's text (a
 * malformed body, or bytes that are not UTF-8), and the message is then broken.
 * @internal
 */
export function decodeStoredBody(body: Buffer): { fields: string[]; invalid?: string } {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < body.length) {
    const colon = body.indexOf(0x3a, pos);
    const length = colon < 0 ? NaN : Number(body.toString('latin1', pos, colon));
    if (!Number.isSafeInteger(length) || length < 0 || colon + 1 + length > body.length) {
      return { fields: [], invalid: 'the stored body is malformed' };
    }
    parts.push(body.subarray(colon + 1, colon + 1 + length));
    pos = colon + 1 + length;
  }
  if (parts.length % 2 !== 0) return { fields: [], invalid: 'the stored body is malformed' };
  const invalid = invalidUtf8Reason(parts);
  const fields = parts.map((part) => part.toString('utf8'));
  return invalid === undefined ? { fields } : { fields, invalid };
}
