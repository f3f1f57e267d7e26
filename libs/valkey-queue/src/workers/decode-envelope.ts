import { ENVELOPE_VERSION, fromStreamFields, parseHeaders, type Envelope } from '../envelope/envelope.js';

/** Digits only, short enough to be a safe integer (epoch ms and attempt counts are). */
function isCount(value: string | undefined): value is string {
  if (value === undefined || value.length === 0 || value.length > 15) return false;
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/**
 * Reads a stream entry as an envelope, like `fromStreamFields`, in one pass for the common shape
 * (version 1, no labels or priority, whole-number fields). Anything else takes `fromStreamFields`, which
 * validates fully and throws the precise `EnvelopeError`. Later duplicate fields win, as there.
 * @internal
 */
export function decodeEnvelope(fields: readonly string[]): Envelope {
  let v: string | undefined;
  let id: string | undefined;
  let payload: string | undefined;
  let headers: string | undefined;
  let createdAt: string | undefined;
  let attempt: string | undefined;
  let firstAttempt: string | undefined;
  let expiresAt: string | undefined;
  let dedupKey: string | undefined;
  let labels: string | undefined;
  let priority: string | undefined;
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const value = fields[index + 1];
    switch (fields[index]) {
      case 'v':
        v = value;
        break;
      case 'id':
        id = value;
        break;
      case 'payload':
        payload = value;
        break;
      case 'headers':
        headers = value;
        break;
      case 'createdAt':
        createdAt = value;
        break;
      case 'attempt':
        attempt = value;
        break;
      case 'firstAttempt':
        firstAttempt = value;
        break;
      case 'expiresAt':
        expiresAt = value;
        break;
      case 'dedupKey':
        dedupKey = value;
        break;
      case 'labels':
        labels = value;
        break;
      case 'priority':
        priority = value;
        break;
    }
  }
  const simple =
    v === ENVELOPE_VERSION &&
    !!id &&
    payload !== undefined &&
    isCount(createdAt) &&
    isCount(attempt) &&
    Number(attempt) >= 1 &&
    (firstAttempt === undefined ||
      (isCount(firstAttempt) && Number(firstAttempt) >= 1 && Number(firstAttempt) <= Number(attempt))) &&
    (expiresAt === undefined || isCount(expiresAt)) &&
    labels === undefined &&
    priority === undefined;
  if (!simple) return fromStreamFields(fields);
  const envelope: Envelope = {
    id: id!,
    payload: payload!,
    // Traced messages carry headers (traceparent): parsed here too, with fromStreamFields' checks.
    headers: headers === undefined || headers === '' || headers === '{}' ? {} : parseHeaders(headers),
    createdAt: Number(createdAt),
    attempt: Number(attempt),
  };
  if (firstAttempt !== undefined) envelope.firstAttempt = Number(firstAttempt);
  if (expiresAt !== undefined) envelope.expiresAt = Number(expiresAt);
  if (dedupKey !== undefined) envelope.dedupKey = dedupKey;
  return envelope;
}
