import { newMessageId } from '../envelope/message-id.js';
import type { Envelope } from '../envelope/envelope.js';
import type { CheckedSendOptions } from './check-send-options.js';

/**
 * The envelopes of one send call, one per payload (already encoded). Every message of a call shares
 * `createdAt`, headers, expiry, dedup key, labels and priority: only the id and payload differ.
 * @internal
 */
export function newEnvelopes(
  settings: { headers: Record<string, string>; ttl?: number },
  payloads: readonly string[],
  options: CheckedSendOptions,
  createdAt: number,
): Envelope[] {
  const headers = options.headers ? { ...settings.headers, ...options.headers } : settings.headers;
  const ttl = options.ttl ?? settings.ttl;
  const expiresAt = ttl === undefined ? undefined : createdAt + ttl;
  const envelopes: Envelope[] = new Array<Envelope>(payloads.length);
  for (let index = 0; index < payloads.length; index++) {
    const envelope: Envelope = {
      id: newMessageId(),
      payload: payloads[index],
      headers,
      createdAt,
      attempt: 1,
    };
    if (expiresAt !== undefined) envelope.expiresAt = expiresAt;
    if (options.dedupKey !== undefined) envelope.dedupKey = options.dedupKey;
    if (options.labels !== undefined) envelope.labels = options.labels;
    if (options.priority !== undefined) envelope.priority = options.priority;
    envelopes[index] = envelope;
  }
  return envelopes;
}
