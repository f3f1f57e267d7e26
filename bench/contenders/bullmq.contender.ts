import { Queue, type JobsOptions, type QueueOptions } from 'bullmq';
import { orderPayloads } from '../payloads.js';
import type { BenchContext } from '../scenario.js';

/**
 * A BullMQ Queue on the bench server, default job options (as `new Queue(name)` gives); `options`
 * adds to them (e.g. `telemetry`).
 */
export function openBullQueue(context: BenchContext, options: Partial<QueueOptions> = {}): Queue {
  const { hostname, port } = new URL(context.url);
  return new Queue(context.queueName(), { ...options, connection: { host: hostname, port: Number(port) } });
}

/** Adds `size` jobs in `addBulk` chunks of 1 000 (untimed setup). */
export async function fillBullQueue(queue: Queue, size: number, opts?: JobsOptions): Promise<void> {
  const payloads = orderPayloads(size);
  for (let start = 0; start < size; start += 1_000) {
    await queue.addBulk(payloads.slice(start, start + 1_000).map((data) => ({ name: 'order', data, opts })));
  }
}
