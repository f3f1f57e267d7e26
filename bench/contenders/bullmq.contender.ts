import { Queue } from 'bullmq';
import type { BenchContext } from '../scenario.js';

/** A BullMQ Queue on the bench server, default job options (as `new Queue(name)` gives). */
export function openBullQueue(context: BenchContext): Queue {
  const { hostname, port } = new URL(context.url);
  return new Queue(context.queueName(), { connection: { host: hostname, port: Number(port) } });
}
