import { isAscii } from 'node:buffer';
import { invalidUtf8Reason } from '../../utils/utf8.util.js';

/**
 * The fields of a stored body (`<byte length>:<value>` per field, docs/key-layout.md), split by byte
 * length as the scripts write it; `invalid` says why the bytes are not an envelope's text (a
 * malformed body, or bytes that are not UTF-8), and the message is then broken.
 * @internal
 */
export function decodeStoredBody(body: Buffer): { fields: string[]; invalid?: string } {
  // The usual body is ASCII (JSON escapes the rest by default): bytes are characters, so it is
  // split as one string, without a buffer per field.
  return isAscii(body) ? splitAscii(body.toString('latin1')) : splitBytes(body);
}

function splitAscii(text: string): { fields: string[]; invalid?: string } {
  const fields: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    const colon = text.indexOf(':', pos);
    const length = colon < 0 ? NaN : Number(text.slice(pos, colon));
    if (!Number.isSafeInteger(length) || length < 0 || colon + 1 + length > text.length) return malformed();
    fields.push(text.slice(colon + 1, colon + 1 + length));
    pos = colon + 1 + length;
  }
  return fields.length % 2 === 0 ? { fields } : malformed();
}

function splitBytes(body: Buffer): { fields: string[]; invalid?: string } {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < body.length) {
    const colon = body.indexOf(0x3a, pos);
    const length = colon < 0 ? NaN : Number(body.toString('latin1', pos, colon));
    if (!Number.isSafeInteger(length) || length < 0 || colon + 1 + length > body.length) {
      return malformed();
    }
    parts.push(body.subarray(colon + 1, colon + 1 + length));
    pos = colon + 1 + length;
  }
  if (parts.length % 2 !== 0) return malformed();
  const invalid = invalidUtf8Reason(parts);
  const fields = parts.map((part) => part.toString('utf8'));
  return invalid === undefined ? { fields } : { fields, invalid };
}

function malformed(): { fields: string[]; invalid: string } {
  return { fields: [], invalid: 'the stored body is malformed' };
}
