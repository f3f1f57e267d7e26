import type { Redis } from 'ioredis';
import { bullWorker } from '../contenders/bullmq-worker.contender.js';
import { openBullQueue } from '../contenders/bullmq.contender.js';
import { countdown } from '../contenders/countdown.js';
import { startWorkerApp, waitUntilAcked } from '../contenders/queue-worker.contender.js';
import { envelopeFields, openRawClient } from '../contenders/raw-ioredis.contender.js';
import { orderPayloads } from '../payloads.js';
import { defineScenario, type Contender } from '../scenario.js';

/**
 * A mixed-priority drain: `size` messages with priorities spread evenly over 0..10 (the same
 * sequence for both libraries), pre-filled untimed, then timed from the worker's start until every
 * message was handled by a no-op handler and acknowledged, at concurrency 100.
 *
 * Scales: this library's priority is 0..10, higher sooner, 0 the default; BullMQ's is 1..2^21, *lower*
 * sooner, 0 = no priority (taken before every prioritized job). Priority p here is BullMQ priority
 * 11 - p (10 → 1, 1 → 10) and 0 is BullMQ priority 11, so both drain the same order.
 */

const CONCURRENCY = 100;
const CHUNK = 1_000;

/** The priority of message i: the same pseudo-random sequence in every run and for both libraries. */
const priorityOf = (index: number): number => (index * 7 + ((index * 2_654_435_761) >>> 28)) % 11;

/** The message's key: the queue's stream for 0, `<stream>:p<n>` above (docs/key-layout.md, "Priorities"). */
const keyOf = (stream: string, priority: number): string =>
  priority === 0 ? stream : `${stream}:p${priority}`;

async function fillPriorityStreams(client: Redis, stream: string, size: number): Promise<string[]> {
  const payloads = orderPayloads(size);
  const keys = new Set<string>();
  for (let start = 0; start < size; start += CHUNK) {
    const pipeline = client.pipeline();
    for (let index = start; index < Math.min(size, start + CHUNK); index += 1) {
      const priority = priorityOf(index);
      const fields = envelopeFields(payloads[index], Date.now());
      if (priority > 0) fields.push('priority', String(priority));
      const key = keyOf(stream, priority);
      keys.add(key);
      pipeline.xadd(key, '*', ...fields);
    }
    await pipeline.exec();
  }
  return [...keys];
}

const queueWorker: Contender = {
  name: '@QueueWorker',
  async setup(context, size) {
    const queue = context.queueName();
    const stream = `{vq:${queue}}:stream`;
    const admin = await openRawClient(context);
    const keys = await fillPriorityStreams(admin, stream, size);
    const handled = countdown(size);
    const app = await startWorkerApp(context, queue, () => handled.count(), { concurrency: CONCURRENCY });
    return {
      async run() {
        await app.worker.start();
        await handled.done;
        for (const key of keys) await waitUntilAcked(admin, key);
      },
      async teardown() {
        await app.close();
        await admin.quit();
      },
    };
  },
};

const bullMqWorker: Contender = {
  name: 'BullMQ Worker',
  async setup(context, size) {
    const queue = openBullQueue(context);
    const payloads = orderPayloads(size);
    for (let start = 0; start < size; start += CHUNK) {
      await queue.addBulk(
        payloads.slice(start, start + CHUNK).map((data, offset) => ({
          name: 'order',
          data,
          opts: { priority: 11 - priorityOf(start + offset) },
        })),
      );
    }
    const completed = countdown(size);
    const worker = bullWorker(context, queue.name, CONCURRENCY, async () => undefined);
    return {
      async run() {
        worker.start().on('completed', () => completed.count());
        await completed.done;
      },
      async teardown() {
        await worker.close();
        await queue.close();
      },
    };
  },
};

export default defineScenario({
  id: 'priority',
  title: `mixed-priority drain (priorities 0..10), no-op handler, concurrency ${CONCURRENCY}`,
  size: (quick) => (quick ? 10_000 : 100_000),
  contenders: [queueWorker, bullMqWorker],
  ratios: [
    { of: '@QueueWorker', to: 'BullMQ Worker', target: 2 },
    { of: '@QueueWorker', to: 'BullMQ Worker', metric: 'commands' },
  ],
  notes:
    'Eleven priorities, evenly mixed, pre-filled. @QueueWorker (strict policy) reads each batch with one ' +
    'read-priorities.lua call over the priority streams, highest first; BullMQ keeps prioritized jobs in a ' +
    'sorted set and moves one per moveToActive. Priority p here is BullMQ priority 11 - p (BullMQ: lower is sooner).',
});
