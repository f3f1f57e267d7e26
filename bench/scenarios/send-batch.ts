import { bullProducer, queueSenderProducer, rawStreamProducer } from '../contenders/producers.js';
import { envelopeFields } from '../contenders/raw-ioredis.contender.js';
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
    queueSenderProducer('QueueSender.sendBatch', ({ sender, queue }, size) => {
      const work = batches(orderPayloads(size));
      return async () => {
        for (const batch of work) await sender.sendBatch(queue, batch);
      };
    }),
    bullProducer('BullMQ Queue.addBulk', (queue, size) => {
      const work = batches(orderPayloads(size).map((data) => ({ name: 'order', data })));
      return async () => {
        for (const batch of work) await queue.addBulk(batch);
      };
    }),
    rawStreamProducer('raw pipelined XADD', ({ client, key }, size) => {
      const work = batches(orderPayloads(size));
      return async () => {
        for (const batch of work) {
          const pipeline = client.pipeline();
          const createdAt = Date.now();
          for (const payload of batch) pipeline.xadd(key, '*', ...envelopeFields(payload, createdAt));
          await pipeline.exec();
        }
      };
    }),
  ],
  ratios: [
    { of: 'QueueSender.sendBatch', to: 'raw pipelined XADD', target: 0.8 },
    { of: 'QueueSender.sendBatch', to: 'BullMQ Queue.addBulk' },
  ],
  notes:
    'Node-CPU bound: JSON encoding, ids and RESP serialization of ~14 arguments per message. QueueSender ' +
    'sends one script call per 1 000 messages (XADDs + one idempotency marker, all-or-nothing); raw sends 1 000 XADDs in one pipeline.',
});
