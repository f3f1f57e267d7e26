import type { ValkeyClient } from '../connection/create-client.js';
import type { SenderTransport } from './sender-options.interface.js';

/**
 * Messages of a queue that are not finished (contract item 10): waiting + in-flight + delayed.
 *
 * - Stream: with no consumer group yet, every entry is waiting (`XLEN`). With groups, each group's
 *   unfinished count is `lag` (not yet delivered) + `pending` (delivered, not acked); the queue's
 *   is the largest of them (the slowest group), since each group sees every entry. When the server
 *   cannot compute `lag` (entries deleted in the middle of the stream), `XLEN` is the bound used.
 * - List: `LLEN`. Messages in list workers' in-flight lists are not counted here (the workers
 *   know their consumers; `QueueAdmin.stats()` reports them).
 * - Plus `ZCARD` of the delayed set (delayed sends and scheduled retries).
 *
 * One pipelined round trip; all keys share the queue's slot.
 * @internal
 */
export async function measureQueueSize(
  client: ValkeyClient,
  transport: SenderTransport,
  target: string,
  delayed: string,
): Promise<number> {
  if (transport === 'list') {
    const [waiting, scheduled] = await Promise.all([client.llen(target), client.zcard(delayed)]);
    return waiting + scheduled;
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
