import { Queue as GroupQueue, Worker as GroupWorker } from 'groupmq';
import { Redis } from 'ioredis';
import type { QueueMessage } from 'nestjs-valkey-queue';
import { prefilledQueueWorker, startWorkerApp } from '../contenders/queue-worker.contender.js';
import { countdown } from '../contenders/countdown.js';
import { openRawClient } from '../contenders/raw-ioredis.contender.js';
import { defineScenario, type BenchContext, type Contender } from '../scenario.js';

/**
 * Per-key ordered consumption: `size` messages over 1,000 keys (groups), pre-filled (untimed), then
 * timed from the worker's start until every message was handled, in order per key, and its outcome
 * written. Concurrency 100. Contenders: @QueueWorker on messages sent with an `orderingKey`,
 * groupmq's Worker on jobs with a `groupId` (its per-group FIFO), and @QueueWorker's unordered drain
 * of the same size (what ordering costs on top). Each ordered contender checks its own order: a
 * message out of sequence for its key fails the run. `bytes/msg waiting` is the growth of
 * `used_memory` per pre-filled message.
 */

const KEYS = 1_000;
const CONCURRENCY = 100;
const BYTES = { key: 'bytes', label: 'bytes/msg waiting', better: 'lower', digits: 0 } as const;

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

/** Counts messages out of sequence per key (each key's messages carry 0, 1, 2, ...). */
function orderCheck(): { see(key: string, seq: number): void; assert(): void } {
  const last = new Map<string, number>();
  let problems = 0;
  return {
    see(key, seq) {
      if (seq !== (last.get(key) ?? -1) + 1) problems += 1;
      last.set(key, seq);
    },
    assert() {
      if (problems > 0) throw new Error(`${problems} messages ran out of order`);
    },
  };
}

const payloadOf = (key: number, seq: number) => ({ key: `account:${key}`, seq, body: 'x'.repeat(100) });

function orderedQueueWorker(): Contender {
  return {
    name: '@QueueWorker ordered',
    async setup(context: BenchContext, size: number) {
      const queue = context.queueName();
      const admin = await openRawClient(context);
      const order = orderCheck();
      const handled = countdown(size);
      const app = await startWorkerApp(
        context,
        queue,
        (message: QueueMessage) => {
          const { key, seq } = message.payload as { key: string; seq: number };
          order.see(key, seq);
          handled.count();
        },
        { concurrency: CONCURRENCY },
      );
      const before = await usedMemory(admin);
      const perKey = Math.ceil(size / KEYS);
      for (let key = 0; key < KEYS; key += 50) {
        const batch: Promise<unknown>[] = [];
        for (let k = key; k < Math.min(KEYS, key + 50); k++) {
          const payloads = Array.from({ length: perKey }, (_, seq) => payloadOf(k, seq));
          batch.push(app.sender.sendBatch(queue, payloads, { orderingKey: `account:${k}` }));
        }
        await Promise.all(batch);
      }
      const bytes = ((await usedMemory(admin)) - before) / (perKey * KEYS);
      const tag = `{vq:${queue}}:ordered`;
      return {
        async run() {
          await app.worker.start();
          await handled.done;
          // Outcomes are written after handlers return: done when no key is ready or leased.
          while ((await admin.exists(`${tag}:ready`, `${tag}:leases`)) > 0) {
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
          order.assert();
          return { bytes };
        },
        async teardown() {
          await app.close();
          await admin.quit();
        },
      };
    },
  };
}

function groupmqWorker(): Contender {
  return {
    name: 'groupmq Worker',
    async setup(context: BenchContext, size: number) {
      const redis = new Redis(context.url, { maxRetriesPerRequest: null });
      const admin = await openRawClient(context);
      const queue = new GroupQueue<{ key: string; seq: number; body: string }>({
        redis,
        namespace: context.queueName(),
        keepCompleted: 0,
      });
      const before = await usedMemory(admin);
      const perKey = Math.ceil(size / KEYS);
      for (let seq = 0; seq < perKey; seq++) {
        const adds: Promise<unknown>[] = [];
        for (let key = 0; key < KEYS; key++) {
          adds.push(queue.add({ groupId: `account:${key}`, data: payloadOf(key, seq) }));
        }
        await Promise.all(adds);
      }
      const bytes = ((await usedMemory(admin)) - before) / (perKey * KEYS);
      const order = orderCheck();
      const handled = countdown(size);
      let worker: GroupWorker<{ key: string; seq: number; body: string }> | undefined;
      return {
        async run() {
          worker = new GroupWorker({
            queue,
            concurrency: CONCURRENCY,
            handler: async (job) => {
              order.see(job.data.key, job.data.seq);
              handled.count();
            },
          });
          void worker.run();
          await handled.done;
          order.assert();
          return { bytes };
        },
        async teardown() {
          await worker?.close();
          await queue.close();
          redis.disconnect();
          await admin.quit();
        },
      };
    },
  };
}

export default defineScenario({
  id: 'ordered',
  title: `per-key ordered drain over ${KEYS.toLocaleString('en')} keys, concurrency ${CONCURRENCY}`,
  size: (quick) => (quick ? 20_000 : 100_000),
  contenders: [
    orderedQueueWorker(),
    groupmqWorker(),
    { ...prefilledQueueWorker(CONCURRENCY), name: '@QueueWorker unordered' },
  ],
  metrics: [BYTES],
  ratios: [
    { of: '@QueueWorker ordered', to: 'groupmq Worker', target: 2 },
    { of: '@QueueWorker ordered', to: '@QueueWorker unordered', target: 0.5 },
    { of: '@QueueWorker ordered', to: 'groupmq Worker', metric: 'bytes' },
  ],
  notes:
    'Pre-filled (untimed): @QueueWorker ordered with sendBatch per key (orderingKey), groupmq with add() per ' +
    'job (groupId), the unordered @QueueWorker with a plain stream. Timed from worker start to the last ' +
    'outcome written; each ordered contender fails the run if a key ran out of sequence. 100-byte payload body.',
});
