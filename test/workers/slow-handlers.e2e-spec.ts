import type { TestingModule } from '@nestjs/testing';
import {
  OnDead,
  OnMessage,
  QueueSender,
  QueueWorker,
  type DeadMessage,
  type QueueMessage,
  type WorkerOptions,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { listKeysOf } from './list-test-kit.js';
import {
  bootWorkers,
  clientOf,
  keysOf,
  pendingCount,
  stats,
  uniqueQueue,
  waitFor,
  workerOf,
} from './worker-test-kit.js';

/**
 * A worker holding many messages at once whose handlers outlast claimIdle: every held entry stays
 * fresh (never reclaimed by a second instance), and at shutdown every unfinished one is handed back
 * (docs/guarantees.md). On both transports, standalone and on the cluster run.
 */
const MESSAGES = 50;
const CLAIM_IDLE = 1_000;
/** How long the handlers run before the test releases them: 3x claimIdle. */
const HANDLER_MS = 3 * CLAIM_IDLE;

type PendingRow = [entryId: string, consumer: string, idle: number, deliveries: number];

/** Handlers that block until the test releases them, counting invocations per message id. */
class SlowHandlers {
  readonly invocations = new Map<string, number>();
  private release = deferred<void>();

  get started(): number {
    return [...this.invocations.values()].reduce((sum, count) => sum + count, 0);
  }

  async run(message: QueueMessage): Promise<void> {
    this.invocations.set(message.id, (this.invocations.get(message.id) ?? 0) + 1);
    await this.release.promise;
  }

  releaseAll(): void {
    this.release.resolve();
  }

  /** Message ids that ran more than once. */
  repeated(): string[] {
    return [...this.invocations].filter(([, count]) => count > 1).map(([id]) => id);
  }
}

/** Calls `sample` every 100 ms for `ms` (while the handlers run): the observation window, not a wait for an event. */
async function sampleFor(ms: number, sample: () => Promise<void>): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await sample();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('workers holding many slow messages at once (real Valkey)', () => {
  const valkey = useValkey();
  const modules: TestingModule[] = [];
  const boot = async (...args: Parameters<typeof bootWorkers>): Promise<TestingModule> => {
    const moduleRef = await bootWorkers(...args);
    modules.push(moduleRef);
    return moduleRef;
  };
  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
  });

  /**
   * Another instance's worker of `queue` completes every handed-back message, each on its second
   * attempt, well under claimIdle: nothing waits for an idle time to grow.
   */
  const expectCompletedElsewhere = async (queue: string, options: WorkerOptions): Promise<void> => {
    const completed = new Map<string, number>();
    @QueueWorker(queue, { ...options, concurrency: MESSAGES, autoStart: false })
    class HealthyWorker {
      @OnMessage() handle(message: QueueMessage): void {
        completed.set(message.id, message.attempt);
      }
    }
    const healthy = await boot(valkey().url, [HealthyWorker]);
    await workerOf(healthy, queue).start();
    await waitFor(() => completed.size === MESSAGES, 'every message completed by the other instance', 3_000);
    expect(new Set(completed.values())).toEqual(new Set([2]));
  };

  describe('stream transport', () => {
    const pendingRows = async (queue: string): Promise<PendingRow[]> => {
      const client = rawClient(valkey().url);
      try {
        return (await client.xpending(keysOf(queue).stream, 'default', '-', '+', 1_000)) as PendingRow[];
      } finally {
        await client.quit();
      }
    };

    /**
     * Runs MESSAGES handlers for 3x claimIdle in one instance while a second instance of the same
     * worker sweeps the group; returns the largest XPENDING idle time sampled meanwhile.
     */
    const holdWithSecondInstance = async (
      queue: string,
      handlers: SlowHandlers,
      Worker: new () => unknown,
    ): Promise<number> => {
      const first = await boot(valkey().url, [Worker]);
      await first.get(QueueSender).sendBatch(
        queue,
        Array.from({ length: MESSAGES }, (_, index) => index),
      );
      await waitFor(() => handlers.started === MESSAGES, 'every handler running in the first instance');
      await boot(valkey().url, [Worker]);
      let maxIdle = 0;
      await sampleFor(HANDLER_MS, async () => {
        const rows = await pendingRows(queue);
        for (const [, , idle] of rows) maxIdle = Math.max(maxIdle, idle);
      });
      handlers.releaseAll();
      const client = clientOf(first);
      await waitFor(async () => (await pendingCount(client, queue)) === 0, 'every outcome written');
      expect((await stats(client, queue)).processed).toBe(MESSAGES);
      return maxIdle;
    };

    it(`concurrency ${MESSAGES}, handlers 3x claimIdle, a second instance: every message runs exactly once, no idle time reaches claimIdle`, async () => {
      const queue = uniqueQueue('slow');
      const handlers = new SlowHandlers();
      @QueueWorker(queue, { concurrency: MESSAGES, claimIdle: CLAIM_IDLE })
      class SlowWorker {
        @OnMessage() handle(message: QueueMessage): Promise<void> {
          return handlers.run(message);
        }
      }
      const maxIdle = await holdWithSecondInstance(queue, handlers, SlowWorker);
      expect(handlers.repeated()).toEqual([]);
      expect(handlers.invocations.size).toBe(MESSAGES);
      expect(maxIdle).toBeLessThan(CLAIM_IDLE);
    });

    it('the same with maxRetries 0: nothing is dead-lettered', async () => {
      const queue = uniqueQueue('slow');
      const handlers = new SlowHandlers();
      const dead: DeadMessage[] = [];
      @QueueWorker(queue, { concurrency: MESSAGES, claimIdle: CLAIM_IDLE, maxRetries: 0 })
      class SlowWorker {
        @OnMessage() handle(message: QueueMessage): Promise<void> {
          return handlers.run(message);
        }
        @OnDead() onDead(message: DeadMessage): void {
          dead.push(message);
        }
      }
      const maxIdle = await holdWithSecondInstance(queue, handlers, SlowWorker);
      const client = rawClient(valkey().url);
      const deadLetters = await client.xlen(keysOf(queue).dead);
      await client.quit();
      expect(dead.map((message) => message.id)).toEqual([]);
      expect(deadLetters).toBe(0);
      expect(handlers.repeated()).toEqual([]);
      expect(maxIdle).toBeLessThan(CLAIM_IDLE);
    });

    it(`shutdown with ${MESSAGES} unfinished messages hands every one back: another instance takes all of them on its first sweep`, async () => {
      const queue = uniqueQueue('slow');
      // A long claimIdle: only a hand-back makes the entries reclaimable at once.
      const claimIdle = 10_000;
      let started = 0;
      @QueueWorker(queue, { concurrency: MESSAGES, claimIdle, shutdownTimeout: 300 })
      class StuckWorker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          started += 1;
          await new Promise<void>((resolve) => message.signal.addEventListener('abort', () => resolve()));
          throw message.signal.reason;
        }
      }
      const stuck = await bootWorkers(valkey().url, [StuckWorker]);
      await stuck.get(QueueSender).sendBatch(
        queue,
        Array.from({ length: MESSAGES }, (_, index) => index),
      );
      await waitFor(() => started === MESSAGES, 'every handler running');
      await stuck.close();

      const rows = await pendingRows(queue);
      expect(rows).toHaveLength(MESSAGES);
      expect(rows.filter(([, , idle]) => idle < claimIdle).map(([entryId]) => entryId)).toEqual([]);

      await expectCompletedElsewhere(queue, { claimIdle });
    });
  });

  describe('list transport', () => {
    it(`concurrency ${MESSAGES}, handlers 3x claimIdle, a second instance: the heartbeat never lapses, every message runs exactly once`, async () => {
      const queue = uniqueQueue('slow-list');
      const handlers = new SlowHandlers();
      @QueueWorker(queue, { transport: 'list', concurrency: MESSAGES, claimIdle: CLAIM_IDLE })
      class SlowWorker {
        @OnMessage() handle(message: QueueMessage): Promise<void> {
          return handlers.run(message);
        }
      }
      const first = await boot(valkey().url, [SlowWorker], { sender: { transport: 'list' } });
      const { consumer } = workerOf(first, queue);
      await first.get(QueueSender).sendBatch(
        queue,
        Array.from({ length: MESSAGES }, (_, index) => index),
      );
      await waitFor(() => handlers.started === MESSAGES, 'every handler running in the first instance');
      await boot(valkey().url, [SlowWorker]);

      const keys = listKeysOf(queue);
      const client = rawClient(valkey().url);
      const ttls: number[] = [];
      const inFlight: number[] = [];
      await sampleFor(HANDLER_MS, async () => {
        ttls.push(await client.pttl(keys.heartbeat(consumer)));
        inFlight.push(await client.llen(keys.inflight(consumer)));
      });
      await client.quit();
      handlers.releaseAll();
      await waitFor(
        async () => (await stats(clientOf(first), queue)).processed === MESSAGES,
        'every message acknowledged',
      );
      expect(ttls.filter((ttl) => ttl <= 0)).toEqual([]);
      expect(new Set(inFlight)).toEqual(new Set([MESSAGES]));
      expect(handlers.repeated()).toEqual([]);
      expect(handlers.invocations.size).toBe(MESSAGES);
    });

    it(`shutdown with ${MESSAGES} unfinished messages returns every one to the head of the queue; another instance takes all of them`, async () => {
      const queue = uniqueQueue('slow-list');
      let started = 0;
      @QueueWorker(queue, {
        transport: 'list',
        concurrency: MESSAGES,
        claimIdle: 10_000,
        shutdownTimeout: 300,
      })
      class StuckWorker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          started += 1;
          await new Promise<void>((resolve) => message.signal.addEventListener('abort', () => resolve()));
          throw message.signal.reason;
        }
      }
      const stuck = await bootWorkers(valkey().url, [StuckWorker], { sender: { transport: 'list' } });
      const { consumer } = workerOf(stuck, queue);
      await stuck.get(QueueSender).sendBatch(
        queue,
        Array.from({ length: MESSAGES }, (_, index) => index),
      );
      await waitFor(() => started === MESSAGES, 'every handler running');
      await stuck.close();

      const keys = listKeysOf(queue);
      const client = rawClient(valkey().url);
      const [waiting, inFlight] = await Promise.all([
        client.llen(keys.list),
        client.llen(keys.inflight(consumer)),
      ]);
      await client.quit();
      expect({ waiting, inFlight }).toEqual({ waiting: MESSAGES, inFlight: 0 });

      await expectCompletedElsewhere(queue, { transport: 'list', claimIdle: 10_000 });
    });
  });
});
