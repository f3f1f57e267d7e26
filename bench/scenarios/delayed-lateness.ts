import { recordingBullMq, recordingQueueWorker } from '../contenders/recording.contender.js';
import { LATENCY_METRICS } from '../latency.js';
import { orderPayload } from '../payloads.js';
import { defineScenario, type BenchContext } from '../scenario.js';

/**
 * Delayed-message lateness: `size` messages are sent with due times spread evenly over a window
 * that starts after every send has returned; the handler records how late it started
 * (wall clock minus the due time, ms). One worker, concurrency 100, one promoter per app.
 */

const CONCURRENCY = 100;
/** Due times start this long after the sends begin (sending 10k messages takes well under it). */
const LEAD_MS = 3_000;
const spreadMs = (quick: boolean): number => (quick ? 2_000 : 10_000);

/** Due time of message `index` of `size`, relative to the first due time. */
const offset = (index: number, size: number, spread: number): number => Math.floor((index / size) * spread);
const latenessOf = (payload: unknown): number => Date.now() - (payload as { dueAt: number }).dueAt;

const measure = {
  concurrency: CONCURRENCY,
  figureOf: latenessOf,
  withinMs: (context: BenchContext) => LEAD_MS + spreadMs(context.quick) + 60_000,
  what: 'delayed messages',
};

const queueWorker = recordingQueueWorker({
  ...measure,
  async load(app, size, context) {
    const spread = spreadMs(context.quick);
    const first = Date.now() + LEAD_MS;
    await Promise.all(
      Array.from({ length: size }, (_, index) => {
        const dueAt = first + offset(index, size, spread);
        return app.sender.send(app.worker.queue, { ...orderPayload(index), dueAt }, { at: new Date(dueAt) });
      }),
    );
  },
});

const bullMq = recordingBullMq({
  ...measure,
  async load(queue, size, context) {
    const spread = spreadMs(context.quick);
    const first = Date.now() + LEAD_MS;
    const jobs = Array.from({ length: size }, (_, index) => {
      const dueAt = first + offset(index, size, spread);
      return {
        name: 'order',
        data: { ...orderPayload(index), dueAt },
        opts: { delay: dueAt - Date.now() },
      };
    });
    for (let start = 0; start < size; start += 1_000) await queue.addBulk(jobs.slice(start, start + 1_000));
  },
});

export default defineScenario({
  id: 'delayed-lateness',
  title: 'delayed messages: lateness of the handler start after the due time',
  size: (quick) => (quick ? 2_000 : 10_000),
  contenders: [queueWorker, bullMq],
  metrics: LATENCY_METRICS,
  primary: 'p99',
  columns: ['p50', 'p95', 'p99', 'max', 'serverMicros', 'commands'],
  ratios: [{ of: '@QueueWorker', to: 'BullMQ' }],
  limits: [{ contender: '@QueueWorker', metric: 'p99', max: 50 }],
  warmup: false,
  notes:
    'Due times spread evenly over 10 s (2 s with --quick), starting 3 s after the sends begin. ' +
    '@QueueWorker: QueueSender.send with `at`, the delayed ZSET and one promoter per app, which sleeps ' +
    'until the earliest due time (server clock) and moves due messages in pages; BullMQ: addBulk with ' +
    '`delay`, promoted by its worker. Lateness includes the promotion, the read and the handler start.',
});
