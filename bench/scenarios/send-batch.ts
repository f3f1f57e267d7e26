import { openBullQueue } from '../contenders/bullmq.contender.js';
import { startSenderApp } from '../contenders/queue-sender.contender.js';
import { envelopeFields, openRawClient } from '../contenders/raw-ioredis.contender.js';
import { orderPayloads } from '../payloads.js';
import { defineScenario } from '../scenario.js';

const BATCH = 1_000;

/** `payloads` in batches of BATCH, the batch as a list of payload arrays. */
const batches = <T>(payloads: T[]): T[][] =>
  Array.from({ length: Math.ceil(payloads.length / BATCH) }, (_, index) =>
    payloads.slice(index * BATCH, (index + 1) * BATCH),
  );

/** Throughput producers: batches of 1 000 messages, each batch awaited before the next. */
export default defineScenario({
  id: 'send-batch',
  title: `batch send, batches of ${BATCH} awaited one after another`,
  size: (quick) => (quick ? 20_000 : 200_000),
  contenders: [
    {
      name: 'QueueSender.sendBatch',
      async setup(context, size) {
        const app = await startSenderApp(context);
        const queue = context.queueName();
        const work = batches(orderPayloads(size));
        return {
          async run() {
            for (const batch of work) await app.sender.sendBatch(queue, batch);
          },
          teardown: () => app.close(),
        };
      },
    },
    {
      name: 'BullMQ Queue.addBulk',
      async setup(context, size) {
        const queue = openBullQueue(context);
        await queue.waitUntilReady();
        const work = batches(orderPayloads(size).map((data) => ({ name: 'order', data })));
        return {
          async run() {
            for (const batch of work) await queue.addBulk(batch);
          },
          teardown: () => queue.close(),
        };
      },
    },
    {
      name: 'raw pipelined XADD',
      async setup(context, size) {
        const client = await openRawClient(context);
        const key = `{bench:${context.queueName()}}:stream`;
        const work = batches(orderPayloads(size));
        return {
          async run() {
            for (const batch of work) {
              const pipeline = client.pipeline();
              const createdAt = Date.now();
              for (const payload of batch) pipeline.xadd(key, '*', ...envelopeFields(payload, createdAt));
              await pipeline.exec();
            }
          },
          teardown: async () => void (await client.quit()),
        };
      },
    },
  ],
  ratios: [
    { of: 'QueueSender.sendBatch', to: 'raw pipelined XADD', target: 0.8 },
    { of: 'QueueSender.sendBatch', to: 'BullMQ Queue.addBulk' },
  ],
  notes:
    'Node-CPU bound: JSON encoding, ids and RESP serialization of ~14 arguments per message. QueueSender ' +
    'sends one script call per 1 000 messages (XADDs + one idempotency marker, all-or-nothing); raw sends 1 000 XADDs in one pipeline.',
});
