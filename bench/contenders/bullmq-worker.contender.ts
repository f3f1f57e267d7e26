import { Worker, type Job, type JobsOptions, type Queue, type WorkerOptions } from 'bullmq';
import type { BenchContext, Contender } from '../scenario.js';
import { fillBullQueue, openBullQueue } from './bullmq.contender.js';
import { countdown } from './countdown.js';

/**
 * A BullMQ Worker on the bench server, created when `start()` is called (so the timed part includes
 * its start, as it does for `@QueueWorker`). `failed` errors are the handler's own: not reported.
 * `options` adds to BullMQ's defaults (e.g. `telemetry`).
 */
export function bullWorker(
  context: BenchContext,
  queue: string,
  concurrency: number,
  processor: (job: Job) => Promise<unknown>,
  options: Partial<WorkerOptions> = {},
): { start(): Worker; close(): Promise<void> } {
  const { hostname, port } = new URL(context.url);
  let worker: Worker | undefined;
  return {
    start() {
      worker = new Worker(queue, processor, {
        ...options,
        connection: { host: hostname, port: Number(port) },
        concurrency,
      });
      worker.on('error', (error) => process.stderr.write(`    BullMQ worker error: ${error.message}\n`));
      return worker;
    },
    close: async () => void (await worker?.close()),
  };
}

/**
 * A BullMQ queue (ready before returning, untimed) and a worker that hands each job's data to `record`.
 * `start()` starts the worker and resolves once it is ready: call it inside the timed part.
 */
export async function recordingBullWorker(
  context: BenchContext,
  concurrency: number,
  record: (data: unknown) => void,
): Promise<{ queue: Queue; start(): Promise<void>; close(): Promise<void> }> {
  const queue = openBullQueue(context);
  await queue.waitUntilReady();
  const worker = bullWorker(context, queue.name, concurrency, async (job) => {
    record(job.data);
  });
  return {
    queue,
    start: async () => void (await worker.start().waitUntilReady()),
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}

/**
 * BullMQ's Worker over a pre-filled queue (untimed setup): the timed run creates the worker and ends
 * once `size` jobs completed. `process` may throw to fail an attempt (give `jobs.attempts` to retry).
 */
export function prefilledBullWorker(
  concurrency: number,
  process: (job: Job) => Promise<void> = async () => undefined,
  jobs?: JobsOptions,
): Contender {
  return {
    name: 'BullMQ Worker',
    async setup(context, size) {
      const queue = openBullQueue(context);
      await fillBullQueue(queue, size, jobs);
      const completed = countdown(size);
      const worker = bullWorker(context, queue.name, concurrency, process);
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
}
