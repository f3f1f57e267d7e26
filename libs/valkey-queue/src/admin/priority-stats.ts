import type { ChainableCommander } from 'ioredis';
import type { ValkeyClient } from '../connection/create-client.js';
import { raisedPriorityKeys } from '../envelope/priority.js';
import type { QueueStats } from '../interfaces/queue-stats.interface.js';
import type { QueueKeys } from '../utils/keys.util.js';
import { toQueueStats } from './queue-stats.parser.js';
import { readQueueStats, type StatsTarget } from './queue-stats.reader.js';

type Reply = [error: Error | null, result: unknown];

/**
 * Adds the priority keys (`:p1` .. `:p10`) of a queue's stream and lists to its stats: one
 * existing-keys.lua call (all a queue without priorities costs), then one pipeline over those that
 * exist. Each priority's waiting messages (a stream's slowest group's lag, or every entry without a
 * group; a list's length) go into `waitingByPriority` and `length`; a priority stream's pending
 * entries into `pending`, its entries into `streamLength`. `groups`, `lag` and `consumers` stay
 * those of the queue's own stream (every priority stream has the same groups and consumers).
 * @internal
 */
export async function withPriorityStats(
  client: ValkeyClient,
  keys: QueueKeys,
  stats: QueueStats,
): Promise<QueueStats> {
  const lists = stats.lists?.map(({ key }) => key) ?? [keys.list];
  const candidates = [
    ...raisedPriorityKeys(keys.stream).map((key, index) => ({ key, priority: index + 1, stream: true })),
    ...lists.flatMap((list) =>
      raisedPriorityKeys(list).map((key, index) => ({ key, priority: index + 1, stream: false })),
    ),
  ];
  const exists = await client.vqExistingKeys(candidates.length, ...candidates.map(({ key }) => key));
  const present = candidates.filter((_, index) => Number(exists[index]) === 1);
  // Priority 0: everything counted so far (the queue's stream and lists).
  const waitingByPriority: Record<number, number> = stats.length > 0 ? { 0: stats.length } : {};
  if (present.length === 0) return { ...stats, waitingByPriority };
  const pipeline: ChainableCommander = client.pipeline();
  for (const { key, stream } of present) {
    if (stream) pipeline.xlen(key).xinfo('GROUPS', key);
    else pipeline.llen(key);
  }
  const replies = ((await pipeline.exec()) ?? []) as Reply[];
  let waiting = 0;
  let pending = 0;
  let entries = 0;
  let position = 0;
  for (const { priority, stream } of present) {
    let count: number;
    if (stream) {
      const [[lengthError, length], [groupsError, groups]] = [replies[position], replies[position + 1]];
      position += 2;
      if (lengthError) throw lengthError;
      // Gone since the existence check: XINFO then fails with no such key.
      const streamStats = toQueueStats({
        queue: stats.queue,
        streamLength: Number(length ?? 0),
        groups: !groupsError && Array.isArray(groups) ? groups : [],
        deadLetters: 0,
        counters: {},
        delayed: 0,
        paused: false,
        listLength: 0,
      });
      count = streamStats.length;
      pending += streamStats.pending;
      entries += streamStats.streamLength;
    } else {
      const [error, length] = replies[position];
      position += 1;
      if (error) throw error;
      count = Number(length ?? 0);
    }
    waiting += count;
    if (count > 0) waitingByPriority[priority] = (waitingByPriority[priority] ?? 0) + count;
  }
  return {
    ...stats,
    length: stats.length + waiting,
    pending: stats.pending + pending,
    streamLength: stats.streamLength + entries,
    waitingByPriority,
  };
}

/**
 * The figures of many queues with their raised priorities (the dashboard's overview and live feed,
 * the metrics gauges): `readQueueStats` in one pipelined round trip, then `withPriorityStats` per
 * queue, sent together by auto-pipelining: one round trip more, however many queues. @internal
 */
export async function readQueueStatsWithPriorities(
  client: ValkeyClient,
  targets: readonly StatsTarget[],
): Promise<(QueueStats | Error)[]> {
  const stats = await readQueueStats(client, targets);
  return Promise.all(
    stats.map((result, index) =>
      result instanceof Error ? result : withPriorityStats(client, targets[index].keys, result),
    ),
  );
}
