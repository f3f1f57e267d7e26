import { bullProducer, queueSenderProducer, rawStreamProducer } from '../contenders/producers.js';
import { envelopeFields } from '../contenders/raw-ioredis.contender.js';
import { orderPayloads } from '../payloads.js';
import { defineScenario } from '../scenario.js';

/** One message at a time, each awaited before the next: the latency-bound producer. */
export default defineScenario({
  id: 'send-single',
  title: 'single send, one awaited call per message',
  size: (quick) => (quick ? 2_000 : 20_000),
  contenders: [
    queueSenderProducer('QueueSender.send', ({ sender, queue }, size) => {
      const payloads = orderPayloads(size);
      return async () => {
        for (const payload of payloads) await sender.send(queue, payload);
      };
    }),
    bullProducer('BullMQ Queue.add', (queue, size) => {
      const payloads = orderPayloads(size);
      return async () => {
        for (const payload of payloads) await queue.add('order', payload);
      };
    }),
    rawStreamProducer('raw XADD (awaited)', ({ client, key }, size) => {
      const payloads = orderPayloads(size);
      return async () => {
        for (const payload of payloads) await client.xadd(key, '*', ...envelopeFields(payload, Date.now()));
      };
    }),
  ],
  ratios: [
    { of: 'QueueSender.send', to: 'BullMQ Queue.add', target: 1.5 },
    { of: 'QueueSender.send', to: 'raw XADD (awaited)' },
  ],
  notes:
    'Round-trip bound: one command per message on a loopback socket. QueueSender writes a bare XADD ' +
    '(a retry after a lost reply looks for its entry instead of a marker); BullMQ runs its addStandardJob script (job hash, events stream, ids).',
});
