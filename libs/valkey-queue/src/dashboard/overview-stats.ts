import { withPriorityStats } from '../admin/priority-stats.js';
import { readQueueStats, type StatsTarget } from '../admin/queue-stats.reader.js';
import type { ValkeyClient } from '../connection/create-client.js';
import type { QueueStats } from '../interfaces/queue-stats.interface.js';

/**
 * The figures of many queues for the overview and the live feed, in one pipelined round trip
 * (`QueueAdmin.stats()` reads the same per queue, plus list-worker and priority detail). The one
 * place to add per-queue detail to the overview, e.g. the waiting counts of raised priorities
 * (`withPriorityStats()`), whose cost is then paid on every live refresh. @internal
 */
export async function overviewStats(
  client: ValkeyClient,
  targets: readonly StatsTarget[],
): Promise<(QueueStats | Error)[]> {
  const stats = await readQueueStats(client, targets);
  // Auto-pipelining sends these together: one round trip more, however many queues.
  return Promise.all(
    stats.map((result, index) =>
      result instanceof Error ? result : withPriorityStats(client, targets[index].keys, result),
    ),
  );
}
