import type { ValkeyClient } from '../connection/create-client.js';
import type { QueueKeys } from '../utils/keys.util.js';
import type { SenderTransport } from '../interfaces/sender-options.interface.js';

/**
 * Messages of a queue that are not finished (contract item 10): waiting + in-flight + delayed.
 *
 * - Stream: with no consumer group yet, every entry is waiting (`XLEN`). With groups, each group's
 *   unfinished count is `lag` (not yet delivered) + `pending` (delivered, not acked); the queue's
 *   is the largest of them (the slowest group), since each group sees every entry. When the server
 *   cannot compute `lag` (entries deleted in the middle of the stream), `XLEN` is the bound used.
 * - List: `LLEN` + the in-flight lists of the list workers that read this list (found in the
 *   list-consumer registry).
 * - Plus `ZCARD` of the delayed set (delayed sends and scheduled retries).
 *
 * One pipelined round trip (two for a list that has consumers); all keys share the queue's slot.
 * @internal
 */
export async function measureQueueSize(
  client: ValkeyClient,
  transport: SenderTransport,
  target: string,
  keys: QueueKeys,
): Promise<number> {
  const { delayed } = keys;
  if (transport === 'list') {
    const [waiting, scheduled, registry] = await Promise.all([
      client.llen(target),
      client.zcard(delayed),
      client.hgetall(keys.listConsumers),
    ]);
    const readers = Object.keys(registry).filter((consumer) => registry[consumer] === target);
    const inFlight = await Promise.all(readers.map((consumer) => client.llen(keys.inflight(consumer))));
    return waiting + scheduled + inFlight.reduce((total, count) => total + count, 0);
  }
  const [length, scheduled, groups] = await Promise.all([
    client.xlen(target),
    client.zcard(delayed),
    // XINFO fails on a missing key: no stream yet means nothing waiting.
    (client.xinfo('GROUPS', target) as Promise<unknown[][]>).catch(() => [] as unknown[][]),
  ]);
  if (groups.length === 0) return length + scheduled;
  let unfinished = 0;
  for (const group of groups) {
    const info = toRecord(group);
    const unknownLag = info.lag === null || info.lag === undefined;
    // Without lag, the whole stream (which includes the pending entries) is the upper bound.
    const count = unknownLag ? length : Number(info.lag) + Number(info.pending ?? 0);
    unfinished = Math.max(unfinished, count);
  }
  return unfinished + scheduled;
}

function toRecord(flat: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) record[String(flat[index])] = flat[index + 1];
  return record;
}
