import type { Envelope } from './envelope.js';
import { EnvelopeError } from './envelope.error.js';
import { labelsProblem } from './labels.js';
import { parsePriority, PRIORITY_RULE } from './priority.js';

/**
 * valkeysender's list element (its Go `MessageEnvelope` as `encoding/json` writes it): the payload
 * bytes in base64, the send time as RFC 3339 text, the TTL in nanoseconds (0: none) and the retry
 * count. Written by senders with `listFormat: 'valkeysender'`, so existing consumers of that format
 * keep working; read by list workers next to this library's own element.
 */
interface ValkeysenderElement {
  id: string;
  queue: string;
  payload: string;
  headers?: Record<string, string>;
  timestamp: string;
  ttl: number;
  retries: number;
  /** Added by this library's retry copies (docs/key-layout.md): the attempt it was first delivered with. */
  firstAttempt?: number;
  /** Added by this library's senders when a message has labels (docs/key-layout.md); other readers ignore it. */
  labels?: Record<string, string>;
  /** Added by this library's senders for a priority above 0 (docs/key-layout.md); other readers ignore it. */
  priority?: number;
}

const NANOS_PER_MS = 1_000_000;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The element valkeysender would have pushed for `envelope` sent to `queue`. */
export function toValkeysenderElement(envelope: Envelope, queue: string): string {
  const element: ValkeysenderElement = {
    id: envelope.id,
    queue,
    payload: Buffer.from(envelope.payload, 'utf8').toString('base64'),
    timestamp: new Date(envelope.createdAt).toISOString(),
    ttl: envelope.expiresAt === undefined ? 0 : (envelope.expiresAt - envelope.createdAt) * NANOS_PER_MS,
    retries: envelope.attempt - 1,
  };
  if (Object.keys(envelope.headers).length > 0) element.headers = envelope.headers;
  if (envelope.firstAttempt !== undefined) element.firstAttempt = envelope.firstAttempt;
  if (envelope.labels !== undefined) element.labels = envelope.labels;
  if (envelope.priority) element.priority = envelope.priority;
  return JSON.stringify(element);
}

/** Whether a parsed list element is valkeysender's (it has no `v`, and a text `timestamp`). */
export function isValkeysenderElement(parsed: Record<string, unknown>): boolean {
  return parsed.v === undefined && typeof parsed.timestamp === 'string' && 'payload' in parsed;
}

/** Reads a valkeysender element. Throws `EnvelopeError` naming what is wrong. */
export function fromValkeysenderElement(parsed: Record<string, unknown>): Envelope {
  const { id, payload, headers, timestamp, ttl, retries, firstAttempt, labels, priority } = parsed;
  if (typeof id !== 'string' || id === '') throw new EnvelopeError('valkeysender element without an id');
  if (typeof payload !== 'string' || !BASE64.test(payload)) {
    throw new EnvelopeError('valkeysender element whose payload is not base64');
  }
  const createdAt = Date.parse(timestamp as string);
  if (Number.isNaN(createdAt)) {
    throw new EnvelopeError(`valkeysender timestamp ${JSON.stringify(timestamp)} is not RFC 3339`);
  }
  const ttlNanos = ttl ?? 0;
  if (typeof ttlNanos !== 'number' || !Number.isFinite(ttlNanos) || ttlNanos < 0) {
    throw new EnvelopeError('valkeysender ttl must be a number of nanoseconds >= 0');
  }
  const retryCount = retries ?? 0;
  if (!Number.isSafeInteger(retryCount) || (retryCount as number) < 0) {
    throw new EnvelopeError('valkeysender retries must be a whole number >= 0');
  }
  const envelope: Envelope = {
    id,
    payload: Buffer.from(payload, 'base64').toString('utf8'),
    headers: readHeaders(headers),
    createdAt,
    attempt: (retryCount as number) + 1,
  };
  if (firstAttempt !== undefined) {
    if (
      !Number.isSafeInteger(firstAttempt) ||
      (firstAttempt as number) < 1 ||
      (firstAttempt as number) > envelope.attempt
    ) {
      throw new EnvelopeError('firstAttempt must be a whole number from 1 to retries + 1');
    }
    envelope.firstAttempt = firstAttempt as number;
  }
  if (ttlNanos > 0) envelope.expiresAt = createdAt + Math.ceil(ttlNanos / NANOS_PER_MS);
  if (labels !== undefined) {
    const problem = labelsProblem(labels);
    if (problem) throw new EnvelopeError(`${problem.field} must be ${problem.expected}`);
    if (Object.keys(labels as object).length > 0) envelope.labels = labels as Record<string, string>;
  }
  if (priority !== undefined) {
    const level = parsePriority(priority as string | number);
    if (level === undefined) throw new EnvelopeError(`priority must be ${PRIORITY_RULE}`);
    if (level > 0) envelope.priority = level;
  }
  return envelope;
}

function readHeaders(headers: unknown): Record<string, string> {
  if (headers === undefined || headers === null) return {};
  if (typeof headers !== 'object' || Array.isArray(headers)) {
    throw new EnvelopeError('valkeysender headers must be a JSON object');
  }
  for (const value of Object.values(headers)) {
    if (typeof value !== 'string') throw new EnvelopeError('header values must be strings');
  }
  return headers as Record<string, string>;
}
