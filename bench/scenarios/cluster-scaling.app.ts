// One app process of the cluster-scaling scenario, forked by it: a Nest application context with a
// worker per queue it was given. It sends its share of the messages in batches and reports the CPU
// it spent. Its setup comes as JSON in argv[2]; then the parent sends `run` (answered by `done`) and
// `close`.
import { Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  OnMessage,
  QueueSender,
  QueueWorker,
  ValkeyQueueModule,
  WorkerRegistry,
  type ConnectionOptions,
} from 'nestjs-valkey-queue';
import { countdown } from '../contenders/countdown.js';
import { orderPayloads } from '../payloads.js';

/** What the parent passes in argv[2], as JSON. */
export interface AppSetup {
  connection: ConnectionOptions;
  queues: string[];
  /** Messages to send to each queue, in the order of `queues`. */
  counts: number[];
  batch: number;
  concurrency: number;
}

/** What this process answers. */
export type AppReply =
  | { type: 'ready' }
  | { type: 'done'; cpuMicros: number; wallMicros: number }
  | { type: 'failed'; message: string };

/** A worker class for one queue, decorated at run time (every run has its own queue names). */
function workerFor(queue: string, concurrency: number, handled: () => void): Provider {
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
  QueueWorker(queue, { concurrency, autoStart: false })(ScalingWorker);
  return ScalingWorker;
}

const reply = (message: AppReply): void => void process.send!(message);

async function main(): Promise<void> {
  const { connection, queues, counts, batch, concurrency } = JSON.parse(process.argv[2]) as AppSetup;
  const handled = countdown(counts.reduce((sum, count) => sum + count, 0));
  class ScalingModule {}
  Module({
    imports: [ValkeyQueueModule.forRoot({ connection })],
    providers: queues.map((queue) => workerFor(queue, concurrency, handled.count)),
  })(ScalingModule);
  const app = await NestFactory.createApplicationContext(ScalingModule, { logger: false });
  const sender = app.get(QueueSender);
  const registry = app.get(WorkerRegistry);
  const payloads = orderPayloads(Math.max(...counts));

  // Closed by the parent's `close`, or when the parent is gone: never outlive it.
  process.once('disconnect', () => void app.close().finally(() => process.exit()));
  process.on('message', (command: { type: 'run' | 'close' }) => {
    if (command.type === 'close') {
      process.disconnect();
      return;
    }
    const cpuBefore = process.cpuUsage();
    const startedAt = process.hrtime.bigint();
    void (async () => {
      await Promise.all(queues.map((queue) => registry.get(queue)!.start()));
      await Promise.all(
        queues.map(async (queue, index) => {
          for (let start = 0; start < counts[index]; start += batch) {
            await sender.sendBatch(queue, payloads.slice(start, Math.min(counts[index], start + batch)));
          }
        }),
      );
      await handled.done;
      const cpu = process.cpuUsage(cpuBefore);
      const wallMicros = Number(process.hrtime.bigint() - startedAt) / 1e3;
      reply({ type: 'done', cpuMicros: cpu.user + cpu.system, wallMicros });
    })().catch(fail);
  });
  reply({ type: 'ready' });
}

function fail(error: unknown): void {
  reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect();
}

main().catch(fail);
