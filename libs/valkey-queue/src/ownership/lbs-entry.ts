import { InvalidAssignmentInfoError } from '../errors/invalid-assignment-info.error.js';
import { InvalidStreamNameError } from '../errors/invalid-stream-name.error.js';
import { isPlainObject } from '../utils/objects.util.js';

/** Longest data stream name we accept (it is part of three keys). */
export const MAX_STREAM_NAME_LENGTH = 512;
/** Largest `info` we store (JSON text, bytes): it is copied into the assignment record. */
export const MAX_INFO_BYTES = 64 * 1024;

/** Throws `InvalidStreamNameError` unless `name` can name a data stream. @internal */
export function assertStreamName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidStreamNameError(name, 'it must be a string');
  if (name.length === 0) throw new InvalidStreamNameError(name, 'it must not be empty');
  if (name.length > MAX_STREAM_NAME_LENGTH) {
    throw new InvalidStreamNameError(name, `it must be at most ${MAX_STREAM_NAME_LENGTH} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidStreamNameError(name, 'it must not contain control characters');
  }
}

/** `info` as JSON text, or `InvalidAssignmentInfoError`. @internal */
export function encodeInfo(stream: string, info: unknown): string {
  if (info === undefined) return '{}';
  if (!isPlainObject(info)) throw new InvalidAssignmentInfoError(stream, 'must be a plain object');
  let text: string;
  try {
    text = JSON.stringify(info);
  } catch (error) {
    throw new InvalidAssignmentInfoError(stream, `cannot be encoded as JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_INFO_BYTES) {
    throw new InvalidAssignmentInfoError(stream, `is larger than ${MAX_INFO_BYTES} bytes as JSON`);
  }
  return text;
}

/** `info` JSON text from Valkey, as an object (`{}` if it is somehow not one). @internal */
export function decodeInfo(text: string | null | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : {};
  } catch {
    return {};
  }
}

/** A well-formed LBS entry. @internal */
export interface LbsAssignment {
  stream: string;
  info: Record<string, unknown>;
}

/**
 * Reads an LBS entry's fields (`stream`, `info` JSON object). Returns the reason it is malformed
 * instead of throwing: a malformed entry goes to the LBS dead-letter stream, never stops the reader.
 * @internal
 */
export function parseLbsEntry(
  fields: readonly string[] | null | undefined,
): LbsAssignment | { error: string } {
  const record: Record<string, string> = {};
  const list = fields ?? [];
  for (let index = 0; index + 1 < list.length; index += 2) record[list[index]] = list[index + 1];
  try {
    assertStreamName(record.stream);
  } catch (error) {
    return {
      error: record.stream === undefined ? 'the entry has no stream field' : (error as Error).message,
    };
  }
  if (record.info === undefined) return { stream: record.stream, info: {} };
  let info: unknown;
  try {
    info = JSON.parse(record.info);
  } catch {
    return { error: 'info is not valid JSON' };
  }
  if (!isPlainObject(info)) return { error: 'info is not a JSON object' };
  return { stream: record.stream, info };
}
