import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { QueueScheduler, StreamOwnershipService, ValkeyQueueModule } from 'nestjs-valkey-queue';
import { bullWorker } from '../contenders/bullmq-worker.contender.js';
import { startWorkerApp } from '../contenders/queue-worker.contender.js';
import { openRawClient } from '../contenders/raw-ioredis.contender.js';
import { serverCommands } from '../runner.js';
import { defineScenario, type BenchContext, type Contender } from '../scenario.js';

/**
 * Idle cost: what an instance with nothing to do sends to the server, in commands per second
 * (INFO commandstats delta over the window; commands inside scripts included). Managed Valkey
 * billed per request, and a busy shared server, pay for chatty idle workers.
 */

const COMMANDS_PER_SECOND = { key: 'perSecond', label: 'cmds/s', better: 'lower', digits: 2 } as const;
/** Start-up commands (group creation, script loading) are not idle cost: wait this long first. */
const SETTLE_MS = 3_000;

/** Measures the server's command rate while `instance` sits idle for `seconds`. */
function idleContender(
  name: string,
  start: (context: BenchContext) => Promise<{ close(): Promise<void> }>,
  seconds: (quick: boolean) => number,
): Contender {
  return {
    name,
    async setup(context) {
      const admin = await openRawClient(context);
      let instance: { close(): Promise<void> } | undefined;
      return {
        async run() {
          instance = await start(context);
          await sleep(SETTLE_MS);
          const window = seconds(context.quick);
          const before = await serverCommands(admin);
          await sleep(window * 1_000);
          return { perSecond: ((await serverCommands(admin)) - before) / window };
        },
        async teardown() {
          await instance?.close();
          await admin.quit();
        },
      };
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const window = (quick: boolean): number => (quick ? 5 : 60);

/** One idle @QueueWorker with default options (its app's delayed-message promoter included). */
const queueWorker = idleContender(
  '@QueueWorker',
  async (context) => {
    const app = await startWorkerApp(context, context.queueName(), () => undefined);
    await app.worker.start();
    return app;
  },
  window,
);

/** One idle BullMQ Worker with default options. */
const bullMq = idleContender(
  'BullMQ Worker',
  async (context) => {
    const worker = bullWorker(context, context.queueName(), 1, async () => undefined);
    await worker.start().waitUntilReady();
    return worker;
  },
  window,
);

/** An app with an ownership service (no streams) and an hourly schedule: both idle. */
const schedulerAndOwnership = idleContender(
  'scheduler + ownership',
  async (context) => {
    class IdleModule {}
    Module({
      imports: [
        ValkeyQueueModule.forRoot({
          connection: { url: context.url },
          ownership: { service: `idle-${context.queueName()}` },
        }),
      ],
    })(IdleModule);
    const app = await NestFactory.createApplicationContext(IdleModule, { logger: false });
    await app.get(QueueScheduler).upsert({
      name: 'hourly-report',
      every: 3_600_000,
      queue: context.queueName(),
      payload: { report: 'hourly' },
    });
    app.get(StreamOwnershipService); // resolved: the service runs with the app
    return app;
  },
  window,
);

export default defineScenario({
  id: 'idle-cost',
  title: 'idle cost: server commands per second of an instance with nothing to do',
  size: () => 1,
  contenders: [queueWorker, bullMq, schedulerAndOwnership],
  metrics: [COMMANDS_PER_SECOND],
  primary: 'perSecond',
  columns: ['perSecond'],
  ratios: [{ of: '@QueueWorker', to: 'BullMQ Worker', target: 0.1 }],
  limits: [
    { contender: '@QueueWorker', metric: 'perSecond', max: 1 },
    { contender: 'scheduler + ownership', metric: 'perSecond', max: 1 },
  ],
  rounds: () => 1,
  warmup: false,
  notes:
    'Measured over 60 s (5 s with --quick) after 3 s of start-up. @QueueWorker blocks in XREADGROUP for ' +
    'blockTimeout (10 s) and runs a reclaim step every claimIdle / 2 (one XPENDING while nothing is pending, then ' +
    'a claimIdle wait); pause, delayed messages and schedules ' +
    'reach it as Pub/Sub signals, so nothing polls. BullMQ blocks in BZPOPMIN and runs its stalled-job ' +
    'check; the ownership service renews nothing without leases and sweeps every leaseTtl.',
});
