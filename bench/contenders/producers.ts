import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueSender } from 'nestjs-valkey-queue';
import type { Contender } from '../scenario.js';
import { openBullQueue } from './bullmq.contender.js';
import { startSenderApp } from './queue-sender.contender.js';
import { openRawClient, rawStreamKey } from './raw-ioredis.contender.js';

/**
 * The producer contenders of the send scenarios: each opens its producer (untimed), lets the scenario
 * build its workload from it and the run size (untimed: payloads, batches), times the workload and
 * closes the producer. The scenarios differ only in the workload.
 */
export type Workload<Producer> = (producer: Producer, size: number) => () => Promise<void>;

/** QueueSender in a Nest application context (`startSenderApp`), sending to a fresh queue. */
export function queueSenderProducer(
  name: string,
  workload: Workload<{ sender: QueueSender; queue: string }>,
): Contender {
  return {
    name,
    async setup(context, size) {
      const app = await startSenderApp(context);
      return {
        run: workload({ sender: app.sender, queue: context.queueName() }, size),
        teardown: () => app.close(),
      };
    },
  };
}

/** A BullMQ Queue on a fresh queue, ready before the run. */
export function bullProducer(name: string, workload: Workload<Queue>): Contender {
  return {
    name,
    async setup(context, size) {
      const queue = openBullQueue(context);
      await queue.waitUntilReady();
      return { run: workload(queue, size), teardown: () => queue.close() };
    },
  };
}

/** A plain ioredis client writing envelopes to a fresh stream key. */
export function rawStreamProducer(
  name: string,
  workload: Workload<{ client: Redis; key: string }>,
): Contender {
  return {
    name,
    async setup(context, size) {
      const client = await openRawClient(context);
      return {
        run: workload({ client, key: rawStreamKey(context) }, size),
        teardown: async () => void (await client.quit()),
      };
    },
  };
}
