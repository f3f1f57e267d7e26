import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Bytes that are not UTF-8 anywhere they appear (a stray continuation byte, an overlong form, 0xFF). */
export const NOT_UTF8 = Buffer.from([0xff, 0x80, 0xc0, 0xaf, 0xfe]);

/** `parts` joined as bytes: strings as UTF-8, Buffers as they are. */
export const bytes = (...parts: (string | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)));

/** `size` random bytes that are certainly not UTF-8 (they start with 0xFF). */
export const randomNotUtf8 = (size: number): Buffer => bytes(Buffer.from([0xff]), randomBytes(size - 1));

/**
 * List elements (wire format v1, docs/key-layout.md) holding bytes that are not UTF-8 in every
 * position: the whole element, inside the payload's JSON string, in a header, in the id, and 1 MB
 * of random bytes. Each is `[label, element]`.
 */
export function badListElements(label: string): [string, Buffer][] {
  const envelope = (id: string | Buffer, payload: string | Buffer, headers: string | Buffer = '{}'): Buffer =>
    bytes(
      '{"v":"1","id":"',
      id,
      '","payload":"',
      payload,
      '","headers":',
      headers,
      `,"createdAt":${Date.now()},"attempt":1}`,
    );
  return [
    ['whole element', bytes(NOT_UTF8, label)],
    ['inside a JSON string', envelope(`${label}-payload`, bytes('\\"text ', NOT_UTF8, '\\"'))],
    ['in a header', envelope(`${label}-header`, '{}', bytes('{"trace":"', NOT_UTF8, '"}'))],
    ['in the id', envelope(bytes(label, NOT_UTF8), '1')],
    ['1 MB of random bytes', randomNotUtf8(1 << 20)],
  ];
}

/** One dead letter read as bytes: its fields in order, and a field's value by name. */
export interface DeadLetterBytes {
  readonly entryId: string;
  readonly fields: Buffer[];
  get(name: string): Buffer | undefined;
  text(name: string): string | undefined;
}

/** Every entry of a (dead-letter) stream, read as bytes. */
export async function streamBytes(client: Redis, key: string): Promise<DeadLetterBytes[]> {
  const entries = await client.xrangeBuffer(key, '-', '+');
  return entries.map(([entryId, fields]) => {
    const get = (name: string): Buffer | undefined => {
      for (let index = 0; index + 1 < fields.length; index += 2) {
        if (fields[index].toString('latin1') === name) return fields[index + 1];
      }
      return undefined;
    };
    return { entryId: entryId.toString(), fields, get, text: (name) => get(name)?.toString('utf8') };
  });
}

/** The fields a dead letter copied from its entry: everything before the `reason` field the worker adds. */
export const copiedFields = (letter: DeadLetterBytes): Buffer[] => {
  const reason = letter.fields.findIndex((field, index) => index % 2 === 0 && field.toString() === 'reason');
  return letter.fields.slice(0, reason);
};

/** Whether two lists of byte strings are the same, byte for byte, in the same order. */
export const sameBytes = (left: readonly Buffer[], right: readonly Buffer[]): boolean =>
  left.length === right.length && left.every((value, index) => value.equals(right[index]));

/** How many of `candidates` equal `value` byte for byte. */
export const countOf = (value: Buffer, candidates: readonly (Buffer | undefined)[]): number =>
  candidates.filter((candidate) => candidate !== undefined && candidate.equals(value)).length;

/** Envelope fields (wire format v1) as bytes for a raw XADD, with `overrides` replacing or adding fields. */
export function envelopeBytes(id: string, overrides: [string | Buffer, string | Buffer][] = []): Buffer[] {
  const fields = new Map<string, [Buffer, Buffer]>();
  const set = (name: string | Buffer, value: string | Buffer): void => {
    const key = bytes(name);
    fields.set(key.toString('latin1'), [key, bytes(value)]);
  };
  set('v', '1');
  set('id', id);
  set('payload', '{"n":1}');
  set('headers', '{}');
  set('createdAt', String(Date.now()));
  set('attempt', '1');
  for (const [name, value] of overrides) set(name, value);
  return [...fields.values()].flat();
}

/**
 * Stream entries holding bytes that are not UTF-8 in every field the library reads, in a field
 * name, and 1 MB of random bytes as payload. Each is `[label, fields]`.
 */
export function badStreamEntries(label: string): [string, Buffer[]][] {
  return [
    [
      'inside the payload JSON string',
      envelopeBytes(`${label}-payload`, [['payload', bytes('"text ', NOT_UTF8, '"')]]),
    ],
    ['in a header', envelopeBytes(`${label}-header`, [['headers', bytes('{"trace":"', NOT_UTF8, '"}')]])],
    ['in the id', envelopeBytes('', [['id', bytes(label, NOT_UTF8)]])],
    ['in attempt', envelopeBytes(`${label}-attempt`, [['attempt', bytes('1', NOT_UTF8)]])],
    ['in createdAt', envelopeBytes(`${label}-created`, [['createdAt', bytes('1', NOT_UTF8)]])],
    ['in expiresAt', envelopeBytes(`${label}-expires`, [['expiresAt', bytes('9', NOT_UTF8)]])],
    ['in dedupKey', envelopeBytes(`${label}-dedup`, [['dedupKey', bytes('key-', NOT_UTF8)]])],
    ['in a field name', envelopeBytes(`${label}-name`, [[bytes('x-', NOT_UTF8), 'value']])],
    ['1 MB of random bytes as payload', envelopeBytes(`${label}-big`, [['payload', randomNotUtf8(1 << 20)]])],
  ];
}
