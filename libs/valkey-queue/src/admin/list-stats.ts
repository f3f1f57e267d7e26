import type { ValkeyClient } from '../connection/create-client.js';
import type { QueueListStats, QueueStats } from '../interfaces/queue-stats.interface.js';
import type { QueueKeys } from '../utils/keys.util.js';

type Reply = [error: Error | null, result: unknown];

/**
 * Adds what the list transport holds to a queue's stats: for every list its consumers read (the
 * key layout's list and any queueNamer key, from the list-consumer registry), its length, the
 * messages in its consumers' in-flight lists and how many consumers are registered. The in-flight
 * messages count as `pending`, the registered consumers as `consumers`, and custom lists' lengths
 * as `length` (the key layout's list is counted already). One `HGETALL`, and one pipeline more
 * when list consumers exist. @internal
 */
export async function withListStats(
  client: ValkeyClient,
  keys: QueueKeys,
  stats: QueueStats,
): Promise<QueueStats> {
  const registry = await client.hgetall(keys.listConsumers);
  const consumers = Object.entries(registry);
  if (consumers.length === 0) return stats;
  const lists = [...new Set([keys.list, ...consumers.map(([, list]) => list)])];
  const pipeline = client.pipeline();
  for (const list of lists) pipeline.llen(list);
  for (const [name] of consumers) pipeline.llen(keys.inflight(name));
  const replies = ((await pipeline.exec()) ?? []) as Reply[];
  const counts = replies.map(([error, count]) => {
    if (error) throw error;
    return Number(count ?? 0);
  });
  const perList = new Map<string, QueueListStats>(
    lists.map((key, index) => [key, { key, length: counts[index], inFlight: 0, consumers: 0 }]),
  );
  consumers.forEach(([, list], index) => {
    const entry = perList.get(list)!;
    entry.inFlight += counts[lists.length + index];
    entry.consumers += 1;
  });
  const detail = [...perList.values()];
  const sum = (pick: (entry: QueueListStats) => number): number =>
    detail.reduce((total, entry) => total + pick(entry), 0);
  return {
    ...stats,
    length: stats.length + sum((entry) => (entry.key === keys.list ? 0 : entry.length)),
    pending: stats.pending + sum((entry) => entry.inFlight),
    consumers: stats.consumers + consumers.length,
    lists: detail,
  };
}
