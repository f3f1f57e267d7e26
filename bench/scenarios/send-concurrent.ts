import { bullProducer, queueSenderProducer, rawStreamProducer } from '../contenders/producers.js';
import { envelopeFields } from '../contenders/raw-ioredis.contender.js';
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
    queueSenderProducer('QueueSender.send', ({ sender, queue }, size) => {
      const payloads = orderPayloads(size);
      return () => inFlight(size, (index) => sender.send(queue, payloads[index]));
    }),
    bullProducer('BullMQ Queue.add', (queue, size) => {
      const payloads = orderPayloads(size);
      return () => inFlight(size, (index) => queue.add('order', payloads[index]));
    }),
    rawStreamProducer('raw XADD', ({ client, key }, size) => {
      const payloads = orderPayloads(size);
      return () =>
        inFlight(size, (index) => client.xadd(key, '*', ...envelopeFields(payloads[index], Date.now())));
    }),
  ],
  ratios: [
    { of: 'QueueSender.send', to: 'BullMQ Queue.add' },
    { of: 'QueueSender.send', to: 'raw XADD' },
  ],
  notes:
    'Throughput bound: Node CPU per call (encoding, ids, promises) and server CPU per command. QueueSender ' +
    "batches concurrent calls into shared socket writes; its script costs the server far less than BullMQ's job script.",
});
