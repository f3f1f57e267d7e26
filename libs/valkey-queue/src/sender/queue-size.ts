import type { ValkeyClient } from '../connection/create-client.js';
import type { QueueKeys } from '../utils/keys.util.js';
import { raisedPriorityKeys } from '../envelope/priority.js';
import type { SenderTransport } from '../interfaces/sender-options.interface.js';

/**
 * Messages of a queue that are not finished (contract item 10): waiting + in-flight + delayed, on
 * both transports, so the answer does not depend on the transport the asking sender sends on (the
 * module's `QueueSender` sends on streams by default, yet sizes list queues too).
 *
 * - Stream: with no consumer group yet, every entry is waiting (`XLEN`). With groups, each group's
 *   unfinished count is `lag` (not yet delivered) + `pending` (delivered, not acked); the queue's
 *   is the largest of them (the slowest group), since each group sees every entry. When the server
 *   cannot compute `lag` (entries deleted in the middle of the stream), `XLEN` is the bound used.
 * - List: `LLEN` of the key-layout list, of the sender's own list (a queueNamer key) and of every
 *   list the queue's list workers read (the list-consumer registry), plus their in-flight lists.
 * - Plus `ZCARD` of the delayed set (delayed sends and scheduled retries).
 * - Plus the same counts over the priority keys (`:p1` .. `:p10`) of that stream and those lists.
 *
 * One round trip, two when list workers are registered; all keys share the queue's slot.
 * @internal
 */
export async function measureQueueSize(
  client: ValkeyClient,
  transport: SenderTransport,
  target: string,
  keys: QueueKeys,
): Promise<number> {
  const stream = transport === 'stream' ? target : keys.stream;
  const ownLists = transport === 'list' && target !== keys.list ? [keys.list, target] : [keys.list];
  const [streamed, scheduled, registry, ...ownLengths] = await Promise.all([
    unfinishedInStream(client, stream),
    client.zcard(keys.delayed),
    client.hgetall(keys.listConsumers),
    ...ownLists.map((list) => client.llen(list)),
  ]);
  const consumers = Object.keys(registry);
  // Lists only the queue's list workers read (queueNamer keys), and what those workers hold.
  const otherLists = [...new Set(Object.values(registry))].filter((list) => !ownLists.includes(list));
  const workerCounts =
    consumers.length === 0
      ? []
      : await Promise.all([
          ...otherLists.map((list) => client.llen(list)),
          ...consumers.map((consumer) => client.llen(keys.inflight(consumer))),
        ]);
  const sum = (counts: number[]): number => counts.reduce((total, count) => total + count, 0);
  const prioritized = await unfinishedInPriorityKeys(client, stream, [...ownLists, ...otherLists]);
  return streamed + scheduled + sum(ownLengths) + sum(workerCounts) + prioritized;
}

/**
 * What waits (or is pending) in the priority keys (`:p1` .. `:p10`) of the stream and lists: one
 * existing-keys.lua call, and a count only for the keys that exist (none without priorities).
 */
async function unfinishedInPriorityKeys(
  client: ValkeyClient,
  stream: string,
  lists: string[],
): Promise<number> {
  const streamKeys = raisedPriorityKeys(stream);
  const listKeys = lists.flatMap((list) => raisedPriorityKeys(list));
  const all = [...streamKeys, ...listKeys];
  const exists = await client.vqExistingKeys(all.length, ...all);
  const counts = await Promise.all(
    all.map((key, index) => {
      if (Number(exists[index]) !== 1) return 0;
      return index < streamKeys.length ? unfinishedInStream(client, key) : client.llen(key);
    }),
  );
  return counts.reduce((total, count) => total + count, 0);
}

/** Waiting + pending entries of the slowest group (every entry without a group). */
async function unfinishedInStream(client: ValkeyClient, stream: string): Promise<number> {
  const [length, groups] = await Promise.all([
    client.xlen(stream),
    // XINFO fails on a missing key: no stream yet means nothing waiting.
    (client.xinfo('GROUPS', stream) as Promise<unknown[][]>).catch(() => [] as unknown[][]),
  ]);
  if (groups.length === 0) return length;
  let unfinished = 0;
  for (const group of groups) {
    const info = toRecord(group);
    const unknownLag = info.lag === null || info.lag === undefined;
    // Without lag, the whole stream (which includes the pending entries) is the upper bound.
    const count = unknownLag ? length : Number(info.lag) + Number(info.pending ?? 0);
    unfinished = Math.max(unfinished, count);
  }
  return unfinished;
}

function toRecord(flat: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) record[String(flat[index])] = flat[index + 1];
  return record;
}
