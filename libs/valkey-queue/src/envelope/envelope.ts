import { EnvelopeError } from './envelope.error.js';
import { labelsProblem } from './labels.js';
import { parsePriority, PRIORITY_RULE } from './priority.js';

export { EnvelopeError };

/** Schema version written in the `v` field. A reader refuses versions it does not know. */
export const ENVELOPE_VERSION = '1';

/**
 * A message as stored in Valkey. Flat string fields on a stream entry (readable with a plain
 * XRANGE), one JSON object per element on a list. docs/key-layout.md documents the wire format.
 */
export interface Envelope {
  /** Time-ordered id (UUIDv7), the same through retries, dead letters and redrives. */
  id: string;
  /** The payload as the codec encoded it (JSON text by default). Stored and copied verbatim. */
  payload: string;
  /** Caller-supplied string headers (trace context, correlation ids). */
  headers: Record<string, string>;
  /** When the message was first sent, epoch ms. */
  createdAt: number;
  /** 1 on the first delivery, +1 per retry (a producer may start higher). Shown as `msg.attempt`. */
  attempt: number;
  /**
   * The `attempt` the message had when it was first delivered: written on every retry copy, so the
   * handler runs made so far are `attempt - firstAttempt` whatever a producer wrote. Absent on a
   * first copy (then it is `attempt`).
   */
  firstAttempt?: number;
  /** Past this epoch ms the message is expired instead of handled. */
  expiresAt?: number;
  /** The dedup key it was sent with. */
  dedupKey?: string;
  /** Labels given at send (envelope/labels.ts rules). Absent when none: no field is written. */
  labels?: Record<string, string>;
  /** 1..10 (envelope/priority.ts). Absent for priority 0: no field is written. */
  priority?: number;
}

/**
 * Stream entry fields, in a fixed order:
 * `v id payload headers createdAt attempt [firstAttempt] [expiresAt] [dedupKey] [labels] [priority]`.
 */
export function toStreamFields(envelope: Envelope): string[] {
  const fields = [
    'v',
    ENVELOPE_VERSION,
    'id',
    envelope.id,
    'payload',
    envelope.payload,
    'headers',
    JSON.stringify(envelope.headers),
    'createdAt',
    String(envelope.createdAt),
    'attempt',
    String(envelope.attempt),
  ];
  if (envelope.firstAttempt !== undefined) fields.push('firstAttempt', String(envelope.firstAttempt));
  if (envelope.expiresAt !== undefined) fields.push('expiresAt', String(envelope.expiresAt));
  if (envelope.dedupKey !== undefined) fields.push('dedupKey', envelope.dedupKey);
  if (envelope.labels !== undefined) fields.push('labels', JSON.stringify(envelope.labels));
  if (envelope.priority) fields.push('priority', String(envelope.priority));
  return fields;
}

/** Reads the flat `[field, value, ...]` array of a stream entry. Throws `EnvelopeError`. */
export function fromStreamFields(fields: readonly string[]): Envelope {
  return fromRecord(fieldsToRecord(fields));
}

/** The list-transport element: one JSON object. The payload is a JSON *string*, so it stays verbatim. */
export function toListElement(envelope: Envelope): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, ...envelope });
}

/** Stream fields as a plain object, for `BrokenMessage.raw` and dead-letter listings. */
export function fieldsToRecord(fields: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) record[fields[index]] = fields[index + 1];
  return record;
}

function fromRecord(record: Record<string, string>): Envelope {
  if (record.v !== ENVELOPE_VERSION) {
    throw new EnvelopeError(
      record.v === undefined
        ? 'no schema version (field v)'
        : `unknown schema version ${JSON.stringify(record.v)}`,
    );
  }
  if (!record.id) throw new EnvelopeError('no id');
  if (record.payload === undefined) throw new EnvelopeError('no payload');
  const envelope: Envelope = {
    id: record.id,
    payload: record.payload,
    headers: parseHeaders(record.headers),
    createdAt: parseCount(record.createdAt, 'createdAt', 0),
    attempt: parseCount(record.attempt, 'attempt', 1),
  };
  if (record.firstAttempt !== undefined) {
    envelope.firstAttempt = parseCount(record.firstAttempt, 'firstAttempt', 1);
    // A larger one would make the handler runs so far negative: the retry budget would never end.
    if (envelope.firstAttempt > envelope.attempt) {
      throw new EnvelopeError(`firstAttempt ${envelope.firstAttempt} is above attempt ${envelope.attempt}`);
    }
  }
  if (record.expiresAt !== undefined) envelope.expiresAt = parseCount(record.expiresAt, 'expiresAt', 0);
  if (record.dedupKey !== undefined) envelope.dedupKey = record.dedupKey;
  const labels = record.labels === undefined ? undefined : parseLabels(record.labels);
  if (labels) envelope.labels = labels;
  if (record.priority !== undefined) {
    const priority = parsePriority(record.priority);
    if (priority === undefined) {
      throw new EnvelopeError(`priority must be ${PRIORITY_RULE}, got ${JSON.stringify(record.priority)}`);
    }
    if (priority > 0) envelope.priority = priority;
  }
  return envelope;
}

function parseCount(raw: string | undefined, field: string, min: number): number {
  const value = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new EnvelopeError(`${field} must be a whole number >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The `headers` field: a JSON object of strings (absent or empty: none). Throws `EnvelopeError`. */
export function parseHeaders(raw: string | undefined): Record<string, string> {
  if (raw === undefined || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new EnvelopeError('headers are not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EnvelopeError('headers must be a JSON object');
  }
  for (const value of Object.values(parsed)) {
    if (typeof value !== 'string') throw new EnvelopeError('header values must be strings');
  }
  return parsed as Record<string, string>;
}

/** The `labels` field: JSON object text that follows the label rules. `{}` reads as no labels. */
export function parseLabels(raw: string): Record<string, string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new EnvelopeError('labels are not JSON');
  }
  const problem = labelsProblem(parsed);
  if (problem) throw new EnvelopeError(`${problem.field} must be ${problem.expected}`);
  return Object.keys(parsed as object).length === 0 ? undefined : (parsed as Record<string, string>);
}
