import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  OnMessage,
  QueueWorker,
  ValkeyQueueModule,
  WorkerRegistry,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { openBullQueue } from '../contenders/bullmq.contender.js';
import { envelopeFields, openRawClient } from '../contenders/raw-ioredis.contender.js';
import { orderPayloads } from '../payloads.js';
import { defineScenario, type BenchContext, type Contender, type Scenario } from '../scenario.js';

/**
 * End-to-end consumption: `size` messages are pre-filled (untimed), then the timer runs from the
 * worker's start until every message was handled by a no-op handler and acknowledged.
 * One scenario per concurrency (1, 10, 100), each with three contenders: @QueueWorker,
 * BullMQ's Worker, and a raw XREADGROUP + XACK loop (the floor any stream consumer pays).
 */

const FILL_CHUNK = 1_000;
const GROUP = 'default';

/** Appends `size` envelopes to a queue's stream in pipelined chunks (untimed setup). */
async function fillStream(client: Redis, key: string, size: number): Promise<void> {
  const payloads = orderPayloads(size);
  for (let start = 0; start < size; start += FILL_CHUNK) {
    const pipeline = client.pipeline();
    for (const payload of payloads.slice(start, start + FILL_CHUNK)) {
      pipeline.xadd(key, '*', ...envelopeFields(payload, Date.now()));
    }
    await pipeline.exec();
  }
}

/** Server commands executed so far (INFO commandstats), to report commands per message. */
async function commandCount(client: Redis): Promise<number> {
  const info = await client.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/calls=(\d+)/g)) total += Number(match[1]);
  return total;
}

function queueWorkerContender(concurrency: number): Contender {
  return {
    name: '@QueueWorker',
    async setup(context: BenchContext, size: number) {
      const queue = context.queueName();
      const admin = await openRawClient(context);
      await fillStream(admin, `{vq:${queue}}:stream`, size);
      let handled = 0;
      let resolveAll!: () => void;
      const all = new Promise<void>((resolve) => {
        resolveAll = resolve;
      });
      class BenchWorker {
        async handle(_message: QueueMessage): Promise<void> {
          if (++handled === size) resolveAll();
        }
      }
      OnMessage()(
        BenchWorker.prototype,
        'handle',
        Object.getOwnPropertyDescriptor(BenchWorker.prototype, 'handle')!,
      );
      QueueWorker(queue, { concurrency, autoStart: false })(BenchWorker);
      class BenchModule {}
      Module({
        imports: [ValkeyQueueModule.forRoot({ connection: { url: context.url } })],
        providers: [BenchWorker],
      })(BenchModule);
      const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
      const worker = app.get(WorkerRegistry).get(queue)!;
      let commandsBefore = 0;
      return {
        async run() {
          commandsBefore = await commandCount(admin);
          await worker.start();
          await all;
          await waitUntilAcked(admin, `{vq:${queue}}:stream`);
        },
        async teardown() {
          const commands = (await commandCount(admin)) - commandsBefore;
          process.stderr.write(
            `    @QueueWorker c=${concurrency}: ${(commands / size).toFixed(3)} server commands per message\n`,
          );
          await app.close();
          await admin.quit();
        },
      };
    },
  };
}

function bullWorkerContender(concurrency: number): Contender {
  return {
    name: 'BullMQ Worker',
    async setup(context: BenchContext, size: number) {
      const queue: Queue = openBullQueue(context);
      const payloads = orderPayloads(size);
      for (let start = 0; start < size; start += FILL_CHUNK) {
        await queue.addBulk(
          payloads.slice(start, start + FILL_CHUNK).map((data) => ({ name: 'order', data })),
        );
      }
      const { hostname, port } = new URL(context.url);
      let worker: Worker | undefined;
      return {
        async run() {
          let completed = 0;
          await new Promise<void>((resolve, reject) => {
            worker = new Worker(queue.name, async () => undefined, {
              connection: { host: hostname, port: Number(port) },
              concurrency,
            });
            worker.on('completed', () => {
              if (++completed === size) resolve();
            });
            worker.on('error', reject);
          });
        },
        async teardown() {
          await worker?.close();
          await queue.close();
        },
      };
    },
  };
}

function rawLoopContender(concurrency: number): Contender {
  return {
    name: 'raw XREADGROUP+XACK',
    async setup(context: BenchContext, size: number) {
      const client = await openRawClient(context);
      const key = `{bench:${context.queueName()}}:stream`;
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

async function waitUntilAcked(client: Redis, key: string): Promise<void> {
  for (;;) {
    const [pending] = (await client.xpending(key, GROUP)) as [number];
    if (Number(pending) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const consumeScenario = (concurrency: number, size: (quick: boolean) => number): Scenario =>
  defineScenario({
    id: `consume-c${concurrency}`,
    title: `end-to-end consumption, no-op handler, concurrency ${concurrency}`,
    size,
    contenders: [
      queueWorkerContender(concurrency),
      bullWorkerContender(concurrency),
      rawLoopContender(concurrency),
    ],
    ratios: [
      { of: '@QueueWorker', to: 'BullMQ Worker', target: concurrency === 100 ? 2 : undefined },
      { of: '@QueueWorker', to: 'raw XREADGROUP+XACK', target: concurrency === 100 ? 0.7 : undefined },
    ],
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
