import { errorMessage } from '../../utils/with-timeout.util.js';
import type { RawDelivery } from '../message-source.interface.js';

/** Reply shapes of the stream commands, and how to read them. @internal */

export type StreamEntry = [entryId: string, fields: string[] | null];
export type ClaimedEntry = [entryId: string, fields: string[], deliveries: number];

/** A consumer group or stream that vanished under us (purge, FLUSHDB, XGROUP DESTROY). */
export const isMissingGroup = (error: unknown): boolean =>
  /NOGROUP|UNBLOCKED|no longer exists/i.test(errorMessage(error));

/**
 * The entries of a one-stream XREADGROUP reply: RESP3 (ioredis 6's default) sends a map, which
 * arrives as `[key, entries]`; RESP2 sends `[[key, entries]]`; a timeout is null.
 */
export function streamEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const pair = typeof reply[0] === 'string' ? reply : reply[0];
  return Array.isArray(pair) && Array.isArray(pair[1]) ? (pair[1] as StreamEntry[]) : [];
}

export const toDelivery = ([entryId, fields, deliveries]: ClaimedEntry): RawDelivery => ({
  entryId,
  fields,
  deliveries: Number(deliveries),
});

/** The delivery, marked broken when its entry is among those whose bytes are not UTF-8 text. */
export const withInvalid = (delivery: RawDelivery, invalid: ReadonlyMap<string, string>): RawDelivery => {
  const reason = invalid.size > 0 ? invalid.get(delivery.entryId) : undefined;
  return reason === undefined ? delivery : { ...delivery, invalid: reason };
};
