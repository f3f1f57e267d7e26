import type { Redis } from 'ioredis';
import { fillBullQueue, openBullQueue } from '../contenders/bullmq.contender.js';
import { startSenderApp } from '../contenders/queue-sender.contender.js';
import { fillStream, openRawClient, rawStreamKey } from '../contenders/raw-ioredis.contender.js';
import { orderPayloads } from '../payloads.js';
import { defineScenario, type BenchContext, type Contender } from '../scenario.js';

/**
 * Valkey memory per waiting message: `size` messages are sent (in batches) and left unconsumed;
 * the figure is the growth of INFO memory `used_memory` divided by `size`. Each contender starts
 * from an emptied server, so nothing else is counted.
 */

const BYTES = { key: 'bytes', label: 'bytes/msg', better: 'lower', digits: 0 } as const;

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

/** Waits until the server frees nothing in the background (the runner's FLUSHALL is lazy). */
async function settled(client: Redis): Promise<void> {
  await client.flushall('SYNC');
  for (let attempt = 0; attempt < 200; attempt++) {
    const info = await client.info('memory');
    if (Number(/^lazyfree_pending_objects:(\d+)/m.exec(info)?.[1] ?? 0) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A contender that fills a queue with `fill` and reports the memory it added per message. */
function memoryContender(
  name: string,
  open: (context: BenchContext) => Promise<{ fill(size: number): Promise<void>; close(): Promise<void> }>,
): Contender {
  return {
    name,
    async setup(context, size) {
      const admin = await openRawClient(context);
      const target = await open(context);
      return {
        async run() {
          await settled(admin);
          const before = await usedMemory(admin);
          await target.fill(size);
          return { bytes: ((await usedMemory(admin)) - before) / size };
        },
        async teardown() {
          await target.close();
          await admin.quit();
        },
      };
    },
  };
}

export default defineScenario({
  id: 'memory-waiting',
  title: 'Valkey memory per waiting message (INFO memory delta)',
  size: (quick) => (quick ? 10_000 : 100_000),
  contenders: [
    memoryContender('QueueSender.sendBatch', async (context) => {
      const app = await startSenderApp(context);
      const queue = context.queueName();
      return {
        async fill(size) {
          const payloads = orderPayloads(size);
          for (let start = 0; start < size; start += 1_000) {
            await app.sender.sendBatch(queue, payloads.slice(start, start + 1_000));
          }
        },
        close: () => app.close(),
      };
    }),
    memoryContender('BullMQ addBulk', async (context) => {
      const queue = openBullQueue(context);
      return { fill: (size) => fillBullQueue(queue, size), close: () => queue.close() };
    }),
    memoryContender('raw XADD', async (context) => {
      const client = await openRawClient(context);
      const key = rawStreamKey(context);
      return { fill: (size) => fillStream(client, key, size), close: async () => void (await client.quit()) };
    }),
  ],
  metrics: [BYTES],
  primary: 'bytes',
  columns: ['bytes', 'throughput', 'serverMicros'],
  ratios: [
    { of: 'QueueSender.sendBatch', to: 'BullMQ addBulk', target: 0.5 },
    { of: 'QueueSender.sendBatch', to: 'raw XADD' },
  ],
  warmup: false,
  notes:
    'A waiting message is one stream entry (the envelope fields) for QueueSender and raw XADD; BullMQ keeps ' +
    'a job hash plus an id in its wait list and an event in its events stream. QueueSender also keeps one ' +
    'idempotency marker per batch chunk for idempotencyWindow (default 60 s; one per send for single sends).',
});
