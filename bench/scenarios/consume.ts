import { prefilledBullWorker } from '../contenders/bullmq-worker.contender.js';
import { prefilledQueueWorker } from '../contenders/queue-worker.contender.js';
import { fillStream, openRawClient, rawStreamKey } from '../contenders/raw-ioredis.contender.js';
import { defineScenario, type BenchContext, type Contender, type Scenario } from '../scenario.js';

/**
 * End-to-end consumption: `size` messages are pre-filled (untimed), then the timer runs from the
 * worker's start until every message was handled by a no-op handler and acknowledged.
 * One scenario per concurrency (1, 10, 100), each with three contenders: @QueueWorker,
 * BullMQ's Worker, and a raw XREADGROUP + XACK loop (the floor any stream consumer pays).
 */

const GROUP = 'default';

function rawLoopContender(concurrency: number): Contender {
  return {
    name: 'raw XREADGROUP+XACK',
    async setup(context: BenchContext, size: number) {
      const client = await openRawClient(context);
      const key = rawStreamKey(context);
      await fillStream(client, key, size);
      await client.xgroup('CREATE', key, GROUP, '0');
      return {
        async run() {
          let handled = 0;
          let lastAck: Promise<unknown> = Promise.resolve();
          while (handled < size) {
            const reply = (await client.xreadgroup(
              'GROUP',
              GROUP,
              'raw',
              'COUNT',
              concurrency,
              'STREAMS',
              key,
              '>',
            )) as [string, [string, string[]][]][] | null;
            const entries = reply?.[0]?.[1] ?? [];
            const ids: string[] = [];
            for (const [id, fields] of entries) {
              JSON.parse(fields[5]); // decode the payload, as any consumer would
              ids.push(id);
            }
            handled += ids.length;
            if (ids.length > 0) lastAck = client.xack(key, GROUP, ...ids); // pipelined with the next read
          }
          await lastAck;
        },
        teardown: async () => void (await client.quit()),
      };
    },
  };
}

const consumeScenario = (concurrency: number, size: (quick: boolean) => number): Scenario =>
  defineScenario({
    id: `consume-c${concurrency}`,
    title: `end-to-end consumption, no-op handler, concurrency ${concurrency}`,
    size,
    contenders: [
      prefilledQueueWorker(concurrency),
      prefilledBullWorker(concurrency),
      rawLoopContender(concurrency),
    ],
    ratios: [
      { of: '@QueueWorker', to: 'BullMQ Worker', target: concurrency === 100 ? 2 : undefined },
      { of: '@QueueWorker', to: 'raw XREADGROUP+XACK', target: concurrency === 100 ? 0.7 : undefined },
      {
        of: '@QueueWorker',
        to: 'BullMQ Worker',
        metric: 'commands',
        target: concurrency === 100 ? 0.25 : undefined,
      },
    ],
    limits: concurrency === 100 ? [{ contender: '@QueueWorker', metric: 'commands', max: 0.1 }] : [],
    notes:
      'Pre-filled stream, timed from worker start to the last ack. @QueueWorker reads COUNT <= free slots and ' +
      'acks each batch with one script (XACK + counters) sent in the same write as its next read; BullMQ runs ' +
      'its per-job Lua (moveToFinished); the raw loop is XREADGROUP COUNT <concurrency> + pipelined XACK, ' +
      'with JSON.parse per message. Server commands per message count commands run inside scripts.',
  });

/** Concurrency 100: the figures with targets (>= 2x BullMQ, >= 0.7x the raw loop). */
export default consumeScenario(100, (quick) => (quick ? 10_000 : 100_000));
export const consumeC10 = consumeScenario(10, (quick) => (quick ? 10_000 : 100_000));
// Concurrency 1 is round-trip bound for every contender; 20k messages keep the run short.
export const consumeC1 = consumeScenario(1, (quick) => (quick ? 2_000 : 20_000));
