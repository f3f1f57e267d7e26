import type { Redis } from 'ioredis';
import { recordingBullMq, recordingQueueWorker } from '../contenders/recording.contender.js';
import { envelopeFields, openRawClient, rawStreamKey } from '../contenders/raw-ioredis.contender.js';
import { LATENCY_METRICS, LatencyRecorder, sendAtRate } from '../latency.js';
import { orderPayload } from '../payloads.js';
import { defineScenario, type Contender } from '../scenario.js';

/**
 * End-to-end latency under a steady load: messages are sent at 2 000/s (not pre-filled) while a
 * worker with concurrency 100 consumes them; each message carries the time its send was called,
 * and the handler records how long ago that was when it starts. p50/p95/p99/max in ms.
 */

const RATE = 2_000;
const CONCURRENCY = 100;

/** A payload stamped with the sender's clock (same process as the handler). */
const stamped = (index: number): Record<string, unknown> => ({
  ...orderPayload(index),
  sentAt: performance.now(),
});
const latencyOf = (payload: unknown): number => performance.now() - (payload as { sentAt: number }).sentAt;

const measure = {
  concurrency: CONCURRENCY,
  figureOf: latencyOf,
  withinMs: () => 60_000,
  what: 'latency run',
};

const queueWorker = recordingQueueWorker({
  ...measure,
  load: (app, size) => sendAtRate(size, RATE, (index) => app.sender.send(app.worker.queue, stamped(index))),
});

const bullMq = recordingBullMq({
  ...measure,
  load: (queue, size) => sendAtRate(size, RATE, (index) => queue.add('order', stamped(index))),
});

const rawLoop: Contender = {
  name: 'raw XADD + XREADGROUP',
  async setup(context, size) {
    const recorder = new LatencyRecorder(size);
    const producer = await openRawClient(context);
    const consumer = await openRawClient(context);
    const key = rawStreamKey(context);
    await producer.xgroup('CREATE', key, 'default', '$', 'MKSTREAM');
    return {
      async run() {
        const consuming = consume(consumer, key, size, recorder);
        await sendAtRate(size, RATE, (index) =>
          producer.xadd(key, '*', ...envelopeFields(stamped(index), 0)),
        );
        await consuming;
        return recorder.summary();
      },
      async teardown() {
        await producer.quit();
        await consumer.quit();
      },
    };
  },
};

/** A blocking XREADGROUP loop that acks each batch in the same write as its next read. */
async function consume(client: Redis, key: string, size: number, recorder: LatencyRecorder): Promise<void> {
  let ack: Promise<unknown> = Promise.resolve();
  while (recorder.recorded < size) {
    const reply = (await client.xreadgroup(
      'GROUP',
      'default',
      'raw',
      'COUNT',
      CONCURRENCY,
      'BLOCK',
      1_000,
      'STREAMS',
      key,
      '>',
    )) as [string, [string, string[]][]][] | null;
    const ids: string[] = [];
    for (const [id, fields] of reply?.[0]?.[1] ?? []) {
      recorder.record(latencyOf(JSON.parse(fields[5])));
      ids.push(id);
    }
    if (ids.length > 0) ack = client.xack(key, 'default', ...ids);
  }
  await ack;
}

export default defineScenario({
  id: 'latency-2k',
  title: `end-to-end latency at a steady ${RATE.toLocaleString('en-US')} msg/s, concurrency ${CONCURRENCY}`,
  size: (quick) => RATE * (quick ? 3 : 20),
  contenders: [queueWorker, bullMq, rawLoop],
  metrics: LATENCY_METRICS,
  primary: 'p99',
  columns: ['p50', 'p95', 'p99', 'max', 'clientMicros', 'serverMicros', 'commands'],
  ratios: [
    { of: '@QueueWorker', to: 'BullMQ', target: 1 },
    { of: '@QueueWorker', to: 'BullMQ', metric: 'p50' },
  ],
  notes:
    'Latency = handler start minus the send call, same clock. Sends are issued on a 5 ms schedule, not ' +
    'awaited one by one. @QueueWorker uses QueueSender.send and a blocking XREADGROUP; BullMQ uses Queue.add ' +
    'and its Worker; the raw loop is XADD + XREADGROUP BLOCK + XACK. On a shared 2-vCPU VM the tail is ' +
    'dominated by scheduling: compare within a round.',
});
