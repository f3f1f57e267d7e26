import { openBullQueue } from '../contenders/bullmq.contender.js';
import { startSenderApp } from '../contenders/queue-sender.contender.js';
import { envelopeFields, openRawClient } from '../contenders/raw-ioredis.contender.js';
import { orderPayloads } from '../payloads.js';
import { defineScenario } from '../scenario.js';

/** Sends in flight at once, like an API serving many requests that each send one message. */
const IN_FLIGHT = 64;

/** Calls `send(i)` for every index, keeping IN_FLIGHT calls running. */
async function inFlight(count: number, send: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, lane));
}

/** Single sends from many concurrent callers: each call is one message, 64 calls in flight. */
export default defineScenario({
  id: 'send-concurrent',
  title: `single send, ${IN_FLIGHT} concurrent callers`,
  size: (quick) => (quick ? 4_000 : 40_000),
  contenders: [
    {
      name: 'QueueSender.send',
      async setup(context, size) {
        const app = await startSenderApp(context);
        const queue = context.queueName();
        const payloads = orderPayloads(size);
        return {
          run: () => inFlight(size, (index) => app.sender.send(queue, payloads[index])),
          teardown: () => app.close(),
        };
      },
    },
    {
      name: 'BullMQ Queue.add',
      async setup(context, size) {
        const queue = openBullQueue(context);
        await queue.waitUntilReady();
        const payloads = orderPayloads(size);
        return {
          run: () => inFlight(size, (index) => queue.add('order', payloads[index])),
          teardown: () => queue.close(),
        };
      },
    },
    {
      name: 'raw XADD',
      async setup(context, size) {
        const client = await openRawClient(context);
        const key = `{bench:${context.queueName()}}:stream`;
        const payloads = orderPayloads(size);
        return {
          run: () =>
            inFlight(size, (index) => client.xadd(key, '*', ...envelopeFields(payloads[index], Date.now()))),
          teardown: async () => void (await client.quit()),
        };
      },
    },
  ],
  ratios: [
    { of: 'QueueSender.send', to: 'BullMQ Queue.add' },
    { of: 'QueueSender.send', to: 'raw XADD' },
  ],
  notes:
    'Throughput bound: Node CPU per call (encoding, ids, promises) and server CPU per command. QueueSender ' +
    "batches concurrent calls into shared socket writes; its script costs the server far less than BullMQ's job script.",
});
