import { EnvelopeError, fromStreamFields, toStreamFields, type Envelope } from './envelope.js';
import { fromValkeysenderElement, isValkeysenderElement } from './valkeysender-format.js';
import { isPlainObject } from '../utils/objects.util.js';

/**
 * List elements as the worker sees them. A list element is one JSON object (docs/key-layout.md,
 * "List transport"); the consumer loop works on flat stream-style fields, so each element is read
 * once into `[name, value, ...]` here. @internal
 */

/**
 * The fields of one list element: every property of its JSON object, strings as they are and
 * anything else as JSON text (`headers` becomes the JSON object text the stream transport stores).
 * valkeysender's element (`listFormat: 'valkeysender'`: base64 payload, nanosecond TTL, `retries`)
 * is read into this library's envelope fields. An element that is not a JSON object yields
 * `['raw', element]`: a broken message whose dead letter keeps the element whole.
 */
export function listElementFields(element: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(element);
  } catch {
    return ['raw', element];
  }
  if (!isPlainObject(parsed)) return ['raw', element];
  if (isValkeysenderElement(parsed)) {
    try {
      return toStreamFields(fromValkeysenderElement(parsed));
    } catch {
      // unreadable: its own fields, which fail as a broken message (no schema version)
    }
  }
  const fields: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    fields.push(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return fields;
}

/** Reads a list element: this library's, or valkeysender's (see valkeysender-format.ts). Throws `EnvelopeError`. */
export function fromListElement(element: string): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(element);
  } catch {
    throw new EnvelopeError('the list element is not JSON');
  }
  if (!isPlainObject(parsed)) throw new EnvelopeError('the list element is not a JSON object');
  if (isValkeysenderElement(parsed)) return fromValkeysenderElement(parsed);
  const fields: string[] = [];
  for (const [field, value] of Object.entries(parsed)) {
    fields.push(
      field,
      OBJECT_FIELDS.has(field) && typeof value === 'object' ? JSON.stringify(value) : String(value),
    );
  }
  return fromStreamFields(fields);
}

/**
 * The element a retry schedules: the same JSON object with `attempt` and `firstAttempt` replaced
 * (or added), every other property kept in place. The payload is a JSON string inside the element, so its text is
 * the same after the round trip. A valkeysender element stays one (`retries` = attempt - 1), so
 * its other readers still understand it. An element that is not a JSON object (never retried: it
 * is broken) is rebuilt from its fields.
 */
export function nextListElement(
  element: string,
  fields: readonly string[],
  attempt: number,
  firstAttempt: number,
): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(element);
  } catch {
    parsed = undefined;
  }
  const object: Record<string, unknown> = isPlainObject(parsed) ? parsed : fieldsToObject(fields);
  if (isValkeysenderElement(object)) object.retries = attempt - 1;
  else object.attempt = attempt;
  object.firstAttempt = firstAttempt;
  return JSON.stringify(object);
}

/**
 * A list element built from envelope fields (a dead letter's, for a redrive): the wire format of
 * `toListElement`, with `headers` as an object and the numeric fields as numbers; unknown fields
 * are kept as strings.
 */
export function fieldsToListElement(fields: readonly string[]): string {
  return JSON.stringify(fieldsToObject(fields));
}

const NUMERIC = new Set(['createdAt', 'attempt', 'firstAttempt', 'expiresAt', 'priority']);
/** Envelope fields that are JSON objects in a list element (JSON object text in stream fields). */
const OBJECT_FIELDS = new Set(['headers', 'labels']);

function fieldsToObject(fields: readonly string[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const [name, value] = [fields[index], fields[index + 1]];
    if (name === 'headers') object.headers = parseObject(value) ?? {};
    // Malformed labels stay as stored text: the message reads as broken again, as it did before.
    else if (name === 'labels') object.labels = parseObject(value) ?? value;
    else if (NUMERIC.has(name) && /^\d{1,15}$/.test(value)) object[name] = Number(value);
    else object[name] = value;
  }
  return object;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
