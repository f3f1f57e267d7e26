import { openBullQueue } from '../contenders/bullmq.contender.js';
import { startSenderApp } from '../contenders/queue-sender.contender.js';
import { envelopeFields, openRawClient } from '../contenders/raw-ioredis.contender.js';
import { orderPayloads } from '../payloads.js';
import { defineScenario } from '../scenario.js';

/** One message at a time, each awaited before the next: the latency-bound producer. */
export default defineScenario({
  id: 'send-single',
  title: 'single send, one awaited call per message',
  size: (quick) => (quick ? 2_000 : 20_000),
  contenders: [
    {
      name: 'QueueSender.send',
      async setup(context, size) {
        const app = await startSenderApp(context);
        const queue = context.queueName();
        const payloads = orderPayloads(size);
        return {
          async run() {
            for (const payload of payloads) await app.sender.send(queue, payload);
          },
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
          async run() {
            for (const payload of payloads) await queue.add('order', payload);
          },
          teardown: () => queue.close(),
        };
      },
    },
    {
      name: 'raw XADD (awaited)',
      async setup(context, size) {
        const client = await openRawClient(context);
        const key = `{bench:${context.queueName()}}:stream`;
        const payloads = orderPayloads(size);
        return {
          async run() {
            for (const payload of payloads)
              await client.xadd(key, '*', ...envelopeFields(payload, Date.now()));
          },
          teardown: async () => void (await client.quit()),
        };
      },
    },
  ],
  ratios: [
    { of: 'QueueSender.send', to: 'BullMQ Queue.add', target: 1.5 },
    { of: 'QueueSender.send', to: 'raw XADD (awaited)' },
  ],
  notes:
    'Round-trip bound: one command per message on a loopback socket. QueueSender runs one Lua script ' +
    '(XADD + idempotency marker; the marker is read only on a retry); BullMQ runs its addStandardJob script (job hash, events stream, ids).',
});
