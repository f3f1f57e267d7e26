import type { ChainableCommander } from 'ioredis';
import type { ValkeyClient } from '../connection/create-client.js';
import type { QueueStats } from '../interfaces/queue-stats.interface.js';
import type { QueueKeys } from '../utils/keys.util.js';
import { isPlainObject } from '../utils/objects.util.js';
import { toQueueStats } from './queue-stats.parser.js';

/** A queue to read, with its keys (built, and the name checked, by the caller). @internal */
export interface StatsTarget {
  queue: string;
  keys: QueueKeys;
}

type Reply = [error: Error | null, result: unknown];

/** Commands per queue, in the order `fromReplies` reads them. */
const COMMANDS_PER_QUEUE = 7;

/**
 * Reads the stats of many queues in one round trip: one pipeline on a standalone server or Sentinel;
 * on Cluster one pipeline per queue (each queue's keys share a slot), all sent at once. Resolves,
 * per target and in order, its `QueueStats` or the error of its commands; rejects only when the
 * round trip itself fails. Used by `QueueAdmin.stats()` and by the metrics' queue gauges. @internal
 */
export async function readQueueStats(
  client: ValkeyClient,
  targets: readonly StatsTarget[],
): Promise<(QueueStats | Error)[]> {
  if (targets.length === 0) return [];
  if (client.isCluster) {
    return Promise.all(
      targets.map(async (target) =>
        fromReplies(target.queue, await exec(addCommands(client.pipeline(), target))),
      ),
    );
  }
  const pipeline = client.pipeline();
  for (const target of targets) addCommands(pipeline, target);
  const replies = await exec(pipeline);
  return targets.map(({ queue }, index) =>
    fromReplies(queue, replies.slice(index * COMMANDS_PER_QUEUE, (index + 1) * COMMANDS_PER_QUEUE)),
  );
}

function addCommands(pipeline: ChainableCommander, { keys }: StatsTarget): ChainableCommander {
  return pipeline
    .xlen(keys.stream)
    .xinfo('GROUPS', keys.stream)
    .xlen(keys.dead)
    .hgetall(keys.stats)
    .zcard(keys.delayed)
    .exists(keys.paused)
    .llen(keys.list);
}

async function exec(pipeline: ChainableCommander): Promise<Reply[]> {
  return ((await pipeline.exec()) ?? []) as Reply[];
}

function fromReplies(queue: string, replies: Reply[]): QueueStats | Error {
  const values: unknown[] = [];
  for (let index = 0; index < COMMANDS_PER_QUEUE; index++) {
    const [error, reply] = replies[index] ?? [null, undefined];
    // XINFO GROUPS on a stream that does not exist yet is an error, not an empty list.
    if (index === 1 && error && /no such key/i.test(error.message)) values.push([]);
    else if (error) return error;
    else values.push(reply);
  }
  const [streamLength, groups, deadLetters, counters, delayed, paused, listLength] = values;
  return toQueueStats({
    queue,
    streamLength: Number(streamLength ?? 0),
    groups: Array.isArray(groups) ? groups : [],
    deadLetters: Number(deadLetters ?? 0),
    // HGETALL replies with string values only.
    counters: isPlainObject(counters) ? (counters as Record<string, string>) : {},
    delayed: Number(delayed ?? 0),
    paused: Number(paused) === 1,
    listLength: Number(listLength ?? 0),
  });
}
