import type { Queue } from 'bullmq';
import { LatencyRecorder, waitFor } from '../latency.js';
import type { BenchContext, Contender, PreparedRun } from '../scenario.js';
import { recordingBullWorker } from './bullmq-worker.contender.js';
import { startWorkerApp, type WorkerApp } from './queue-worker.contender.js';

/**
 * How a latency scenario measures: each handler records `figureOf(payload)` (ms) when it starts; the
 * timed run starts the consumer, sends `size` messages with `load`, waits (at most `withinMs`) until
 * every message was recorded, and returns the percentiles.
 */
export interface LatencyMeasure<Producer> {
  readonly concurrency: number;
  figureOf(payload: unknown): number;
  load(producer: Producer, size: number, context: BenchContext): Promise<unknown>;
  withinMs(context: BenchContext): number;
  /** Names the run in the timeout error. */
  readonly what: string;
}

interface Consumer {
  start(): Promise<unknown>;
  close(): Promise<void>;
}

function recordedRun(
  recorder: LatencyRecorder,
  size: number,
  withinMs: number,
  what: string,
  consumer: Consumer,
  load: () => Promise<unknown>,
): PreparedRun {
  return {
    async run() {
      await consumer.start();
      await load();
      await waitFor(() => recorder.recorded >= size, withinMs, what);
      return recorder.summary();
    },
    teardown: () => consumer.close(),
  };
}

/** `@QueueWorker` (started inside the timed part) on a fresh queue, fed by the same app's QueueSender. */
export function recordingQueueWorker(measure: LatencyMeasure<WorkerApp>): Contender {
  return {
    name: '@QueueWorker',
    async setup(context, size) {
      const recorder = new LatencyRecorder(size);
      const app = await startWorkerApp(
        context,
        context.queueName(),
        (message) => recorder.record(measure.figureOf(message.payload)),
        { concurrency: measure.concurrency },
      );
      const consumer = { start: () => app.worker.start(), close: () => app.close() };
      return recordedRun(recorder, size, measure.withinMs(context), measure.what, consumer, () =>
        measure.load(app, size, context),
      );
    },
  };
}

/** BullMQ's Worker (started inside the timed part) on a fresh queue, fed through its Queue. */
export function recordingBullMq(measure: LatencyMeasure<Queue>): Contender {
  return {
    name: 'BullMQ',
    async setup(context, size) {
      const recorder = new LatencyRecorder(size);
      const bull = await recordingBullWorker(context, measure.concurrency, (data) =>
        recorder.record(measure.figureOf(data)),
      );
      return recordedRun(recorder, size, measure.withinMs(context), measure.what, bull, () =>
        measure.load(bull.queue, size, context),
      );
    },
  };
}
