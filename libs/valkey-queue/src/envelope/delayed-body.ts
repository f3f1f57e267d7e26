/**
 * The body of a delayed message as promote-due.lua expects it: every stream field as
 * `<byte length>:<value>`, concatenated. Lua splits it with plain string operations, so values
 * are appended verbatim (no JSON decoding in Lua, which would alter numbers and escapes).
 */
export function encodeDelayedBody(fields: readonly string[]): string {
  let body = '';
  for (const field of fields) body += `${Buffer.byteLength(field, 'utf8')}:${field}`;
  return body;
}
