import { BullModule, Processor, WorkerHost } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Job } from 'bullmq';
import { fillBullQueue, openBullQueue } from '../contenders/bullmq.contender.js';
import { prefilledBullWorker } from '../contenders/bullmq-worker.contender.js';
import { countdown } from '../contenders/countdown.js';
import { prefilledQueueWorker } from '../contenders/queue-worker.contender.js';
import { defineScenario, type Contender } from '../scenario.js';

/**
 * The consume-c100 workload through Nest on both sides: `@QueueWorker` against `@nestjs/bullmq`'s
 * `@Processor` (a WorkerHost), with BullMQ's bare Worker beside them. `@Processor` / Worker shows
 * what Nest's DI layer costs a worker (nothing measurable); `@QueueWorker` / `@Processor` is the
 * comparison a Nest team makes when picking a queue library.
 */

const CONCURRENCY = 100;

const nestProcessor: Contender = {
  name: '@nestjs/bullmq @Processor',
  async setup(context, size) {
    const queue = openBullQueue(context);
    await fillBullQueue(queue, size);
    await queue.close();
    const handled = countdown(size);
    class BenchProcessor extends WorkerHost {
      async process(_job: Job): Promise<void> {
        handled.count();
      }
    }
    Processor({ name: queue.name }, { concurrency: CONCURRENCY, autorun: false })(BenchProcessor);
    const { hostname, port } = new URL(context.url);
    class BenchModule {}
    Module({
      imports: [
        BullModule.forRoot({ connection: { host: hostname, port: Number(port) } }),
        BullModule.registerQueue({ name: queue.name }),
      ],
      providers: [BenchProcessor],
    })(BenchModule);
    const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    const { worker } = app.get(BenchProcessor);
    return {
      async run() {
        void worker.run();
        await handled.done;
      },
      teardown: () => app.close(),
    };
  },
};

export default defineScenario({
  id: 'nest-consume-c100',
  title: `Nest apps: @QueueWorker vs @nestjs/bullmq @Processor, no-op handler, concurrency ${CONCURRENCY}`,
  size: (quick) => (quick ? 10_000 : 100_000),
  contenders: [prefilledQueueWorker(CONCURRENCY), nestProcessor, prefilledBullWorker(CONCURRENCY)],
  ratios: [
    { of: '@QueueWorker', to: '@nestjs/bullmq @Processor', target: 2 },
    { of: '@nestjs/bullmq @Processor', to: 'BullMQ Worker' },
  ],
  columns: ['throughput', 'clientMicros', 'serverMicros', 'commands'],
  notes:
    'Same pre-filled workload as consume-c100, each worker inside a Nest application context. The ' +
    '@Processor / Worker ratio is the cost of Nest DI around a worker: ~1.0, as for @QueueWorker, whose ' +
    'handler is called directly on the provider instance found at bootstrap.',
});
