import { Worker, type Job, type JobsOptions } from 'bullmq';
import type { BenchContext, Contender } from '../scenario.js';
import { fillBullQueue, openBullQueue } from './bullmq.contender.js';
import { countdown } from './countdown.js';

/**
 * A BullMQ Worker on the bench server, created when `start()` is called (so the timed part includes
 * its start, as it does for `@QueueWorker`). `failed` errors are the handler's own: not reported.
 */
export function bullWorker(
  context: BenchContext,
  queue: string,
  concurrency: number,
  processor: (job: Job) => Promise<unknown>,
): { start(): Worker; close(): Promise<void> } {
  const { hostname, port } = new URL(context.url);
  let worker: Worker | undefined;
  return {
    start() {
      worker = new Worker(queue, processor, {
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
