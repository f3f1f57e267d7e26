import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  OnMessage,
  QueueSender,
  QueueWorker,
  ValkeyQueueModule,
  WorkerRegistry,
  type QueueMessage,
  type QueueWorkerHandle,
  type ValkeyQueueOptions,
  type WorkerOptions,
} from 'nestjs-valkey-queue';
import type { Redis } from 'ioredis';
import type { BenchContext, Contender } from '../scenario.js';
import { countdown } from './countdown.js';
import { fillStream, openRawClient } from './raw-ioredis.contender.js';

/** What a benchmark worker's handler gets: the message as `@OnMessage` receives it. */
export type BenchHandler = (message: QueueMessage) => void | Promise<void>;

/** A running Nest application context with one `@QueueWorker` and the module's QueueSender. */
export interface WorkerApp {
  /** The worker, not started yet (`autoStart: false`): start it inside the timed part. */
  worker: QueueWorkerHandle;
  sender: QueueSender;
  /** The application context, for providers a scenario reaches into. */
  app: INestApplicationContext;
  close(): Promise<void>;
}

/**
 * A Nest application context as an app would have it: `ValkeyQueueModule.forRoot` and one provider
 * class decorated with `@QueueWorker(queue)` whose `@OnMessage` method calls `handle`. The classes
 * are decorated here, at run time, because every run needs its own queue name.
 */
export async function startWorkerApp(
  context: BenchContext,
  queue: string,
  handle: BenchHandler,
  worker: WorkerOptions = {},
  module: Partial<ValkeyQueueOptions> = {},
): Promise<WorkerApp> {
  class BenchWorker {
    handle(message: QueueMessage): void | Promise<void> {
      return handle(message);
    }
  }
  OnMessage()(
    BenchWorker.prototype,
    'handle',
    Object.getOwnPropertyDescriptor(BenchWorker.prototype, 'handle')!,
  );
  QueueWorker(queue, { autoStart: false, ...worker })(BenchWorker);
  const root: DynamicModule = ValkeyQueueModule.forRoot({
    connection: { url: context.url },
    ...module,
  });
  class BenchModule {}
  Module({ imports: [root], providers: [BenchWorker] })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  return {
    worker: app.get(WorkerRegistry).get(queue)!,
    sender: app.get(QueueSender),
    app,
    close: () => app.close(),
  };
}

/**
 * `@QueueWorker` over a pre-filled stream (untimed setup): the timed run starts the worker and ends
 * once `size` handler calls returned and every message is acknowledged. `handle` may throw to fail
 * an attempt; only calls that return count.
 */
export function prefilledQueueWorker(
  concurrency: number,
  handle: BenchHandler = () => undefined,
  worker: WorkerOptions = {},
  module: Partial<ValkeyQueueOptions> = {},
): Contender {
  return {
    name: '@QueueWorker',
    async setup(context, size) {
      const queue = context.queueName();
      const stream = `{vq:${queue}}:stream`;
      const admin = await openRawClient(context);
      await fillStream(admin, stream, size);
      const handled = countdown(size);
      const app = await startWorkerApp(
        context,
        queue,
        async (message) => {
          await handle(message);
          handled.count();
        },
        { concurrency, ...worker },
        module,
      );
      return {
        async run() {
          await app.worker.start();
          await handled.done;
          await waitUntilAcked(admin, stream);
        },
        async teardown() {
          await app.close();
          await admin.quit();
        },
      };
    },
  };
}

/**
 * Handlers finish before their acks are written: a run ends when nothing is pending. Asked back to
 * back, so the end is known within one round trip (a 2 ms sleep between asks added up to 2 ms to
 * runs of ~100 ms, which the raw loop, awaiting its own last XACK, never paid).
 */
export async function waitUntilAcked(client: Redis, key: string, group = 'default'): Promise<void> {
  for (;;) {
    const [pending] = (await client.xpending(key, group)) as [number];
    if (Number(pending) === 0) return;
  }
}
