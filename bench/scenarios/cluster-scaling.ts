import { Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import {
  OnMessage,
  QueueSender,
  QueueWorker,
  ValkeyQueueModule,
  WorkerRegistry,
  type ConnectionOptions,
} from 'nestjs-valkey-queue';
import { startValkey, type StartedValkeyCluster } from 'nestjs-valkey-queue/testing';
import { countdown } from '../contenders/countdown.js';
import { orderPayloads } from '../payloads.js';
import { defineScenario, type BenchContext, type Contender, type PreparedRun } from '../scenario.js';

/**
 * Scale-out: the same end-to-end workload (send, consume, ack) on one Valkey node and on a local
 * 3-primary Valkey Cluster. QUEUES queues (two per primary on the cluster, picked by the slot of their
 * hash tag), each with a worker at concurrency 50; the timer runs from the first send until every
 * message was handled. Producers send in batches of 100, all queues at once.
 */

const QUEUES = 6;
const BATCH = 100;
const CONCURRENCY = 50;

/** Names for `count` queues; on a cluster, the same number on each primary. */
async function queueNames(count: number, cluster?: StartedValkeyCluster): Promise<string[]> {
  if (!cluster) return Array.from({ length: count }, () => `bench-${randomUUID()}`);
  const perPrimary = count / cluster.primaries.length;
  const names: string[] = [];
  for (const primary of cluster.primaries) {
    for (let picked = 0; picked < perPrimary;) {
      const name = `bench-${randomUUID()}`;
      if ((await cluster.primaryFor(`{vq:${name}}`)) !== primary) continue;
      names.push(name);
      picked += 1;
    }
  }
  return names;
}

/** A worker class for one queue, decorated at run time (every run has its own queue names). */
function workerFor(queue: string, handled: () => void): Provider {
  class ScalingWorker {
    handle(): void {
      handled();
    }
  }
  OnMessage()(
    ScalingWorker.prototype,
    'handle',
    Object.getOwnPropertyDescriptor(ScalingWorker.prototype, 'handle')!,
  );
  QueueWorker(queue, { concurrency: CONCURRENCY, autoStart: false })(ScalingWorker);
  return ScalingWorker;
}

async function prepare(connection: ConnectionOptions, queues: string[], size: number): Promise<PreparedRun> {
  const handled = countdown(size);
  class ScalingModule {}
  Module({
    imports: [ValkeyQueueModule.forRoot({ connection })],
    providers: queues.map((queue) => workerFor(queue, handled.count)),
  })(ScalingModule);
  const app = await NestFactory.createApplicationContext(ScalingModule, { logger: false });
  const sender = app.get(QueueSender);
  const registry = app.get(WorkerRegistry);
  const perQueue = Math.ceil(size / queues.length);
  const payloads = orderPayloads(perQueue);
  return {
    async run() {
      await Promise.all(queues.map((queue) => registry.get(queue)!.start()));
      await Promise.all(
        queues.map(async (queue, index) => {
          const own = index === queues.length - 1 ? size - perQueue * (queues.length - 1) : perQueue;
          for (let start = 0; start < own; start += BATCH) {
            await sender.sendBatch(queue, payloads.slice(start, Math.min(own, start + BATCH)));
          }
        }),
      );
      await handled.done;
    },
    teardown: () => app.close(),
  };
}

const singleNode: Contender = {
  name: '1 node',
  async setup(context: BenchContext, size: number) {
    return prepare({ url: context.url }, await queueNames(QUEUES), size);
  },
};

const cluster: Contender = {
  name: '3-primary cluster',
  async setup(_context: BenchContext, size: number) {
    // A fresh cluster per run (untimed), so no run pays for another's data.
    const started = await startValkey({ cluster: { primaries: 3, replicas: 0 } });
    try {
      const run = await prepare(started.connection, await queueNames(QUEUES, started), size);
      return {
        run: () => run.run(),
        async teardown() {
          await run.teardown();
          await started.stop();
        },
      };
    } catch (error) {
      await started.stop();
      throw error;
    }
  },
};

export default defineScenario({
  id: 'cluster-scaling',
  title: `scale-out: send + consume over ${QUEUES} queues, 1 node vs a 3-primary cluster`,
  size: (quick) => (quick ? 20_000 : 120_000),
  contenders: [singleNode, cluster],
  ratios: [{ of: '3-primary cluster', to: '1 node' }],
  // The runner's server-side figures read the single node only: meaningless for the cluster.
  columns: ['throughput', 'clientMicros'],
  notes:
    'Every process (3 Valkey primaries, the app) shares this machine: with one Node process driving all ' +
    'queues, the client CPU bounds both setups, so the ratio shows what the cluster costs the client ' +
    '(routing, one connection per primary) rather than the capacity it adds. Run one app per primary ' +
    '(or more cores) to see the cluster scale.',
});
