import type { TestingModule } from '@nestjs/testing';
import {
  DeliveryLimitError,
  OnBroken,
  OnDead,
  OnMessage,
  QueueSender,
  QueueWorker,
  WorkerShutdownError,
  type DeadMessage,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import {
  addRaw,
  bootWorkers,
  clientOf,
  deliver,
  envelopeFields,
  keysOf,
  pendingCount,
  pendingEntry,
  stats,
  uniqueQueue,
  waitFor,
  workerOf,
} from './worker-test-kit.js';

describe('crash recovery, reclaim and shutdown (real Valkey)', () => {
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

  /** Puts a message in the PEL of a consumer that will never come back, idle for `idleMs`. */
  const orphan = async (queue: string, fields: string[], idleMs: number, deliveries = 1): Promise<string> => {
    const client = rawClient(valkey().url);
    const stream = keysOf(queue).stream;
    await client.xadd(stream, '*', ...fields);
    const [entryId] = await deliver(client, stream, 'default', 'crashed-consumer');
    for (let count = 1; count < deliveries; count += 1)
      await client.xclaim(stream, 'default', 'crashed-consumer', 0, entryId);
    await client.call('XCLAIM', stream, 'default', 'crashed-consumer', 0, entryId, 'IDLE', idleMs, 'JUSTID');
    await client.quit();
    return entryId;
  };

  it("reclaims a dead consumer's message after claimIdle; the redelivery counts as an attempt", async () => {
    const queue = uniqueQueue();
    const handled = deferred<QueueMessage>();
    @QueueWorker(queue, { claimIdle: 1_000 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.resolve(message);
      }
    }
    await orphan(queue, envelopeFields('"orphan"', { id: 'orphan' }), 5_000);
    const moduleRef = await boot(valkey().url, [Worker]);
    await expect(handled.promise).resolves.toMatchObject({ id: 'orphan', attempt: 2, payload: 'orphan' });
    await waitFor(async () => (await pendingCount(clientOf(moduleRef), queue)) === 0, 'the ack');
  });

  it('a message delivered more than maxRetries + 1 times is dead without another handler call (crash loop)', async () => {
    const queue = uniqueQueue();
    let calls = 0;
    const dead = deferred<DeadMessage>();
    @QueueWorker(queue, { claimIdle: 1_000, maxRetries: 1 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {
        calls += 1;
      }
      @OnDead() async dead(message: DeadMessage): Promise<void> {
        dead.resolve(message);
      }
    }
    // Delivered twice already (each delivery killed its worker): the next one is the third.
    await orphan(queue, envelopeFields('1', { id: 'poison' }), 5_000, 2);
    const moduleRef = await boot(valkey().url, [Worker]);
    const message = await dead.promise;
    expect(message).toMatchObject({ id: 'poison', attempts: 2 });
    expect(message.error).toBeInstanceOf(DeliveryLimitError);
    expect(calls).toBe(0);
    const client = clientOf(moduleRef);
    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
    await expect(stats(client, queue)).resolves.toEqual({ dead: 1 });
  });

  it('skips @OnBroken / @OnDead for a message delivered past maxRetries + 2 times (a hook that crashes its worker), and moves it', async () => {
    const queue = uniqueQueue();
    let hookCalls = 0;
    @QueueWorker(queue, { claimIdle: 1_000, maxRetries: 1 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
      @OnBroken() async broken(): Promise<void> {
        hookCalls += 1;
      }
    }
    await orphan(queue, ['not', 'an envelope'], 5_000, 3); // the claim makes it the 4th delivery
    const moduleRef = await boot(valkey().url, [Worker]);
    const client = clientOf(moduleRef);
    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
    expect(hookCalls).toBe(0);
    await expect(pendingCount(client, queue)).resolves.toBe(0);
  });

  it('a slow but alive handler (3x claimIdle) is never reclaimed by a second worker: exactly one invocation', async () => {
    const queue = uniqueQueue();
    let invocations = 0;
    const finished = deferred<void>();
    @QueueWorker(queue, { claimIdle: 1_200 })
    class SlowWorker {
      @OnMessage() async handle(): Promise<void> {
        invocations += 1;
        await new Promise((resolve) => setTimeout(resolve, 3_600)); // the scenario: a long handler
        finished.resolve();
      }
    }
    const first = await boot(valkey().url, [SlowWorker]);
    await boot(valkey().url, [SlowWorker]);
    await first.get(QueueSender).send(queue, 'slow');
    await finished.promise;
    const client = clientOf(first);
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
    expect(invocations).toBe(1);
  });

  it('recreates a vanished stream and group (NOGROUP) and keeps consuming', async () => {
    const queue = uniqueQueue();
    const seen: unknown[] = [];
    let next = deferred<void>();
    @QueueWorker(queue, { blockTimeout: 200 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        seen.push(message.payload);
        next.resolve();
      }
    }
    const moduleRef = await boot(valkey().url, [Worker]);
    const sender = moduleRef.get(QueueSender);
    const client = clientOf(moduleRef);
    await sender.send(queue, 'before');
    await next.promise;

    next = deferred<void>();
    await client.del(keysOf(queue).stream); // a purge deletes the stream and its groups
    await sender.send(queue, 'after purge');
    await next.promise;

    next = deferred<void>();
    await client.xgroup('DESTROY', keysOf(queue).stream, 'default');
    await sender.send(queue, 'after destroy');
    await next.promise;
    // Recreated from 0: the group re-reads what is still in the stream ('after purge' included).
    await waitFor(() => seen.includes('after destroy'), 'the last message');
    expect(seen.slice(0, 2)).toEqual(['before', 'after purge']);
  });

  it('survives its connections being killed, and resumes consuming', async () => {
    const queue = uniqueQueue();
    let next = deferred<unknown>();
    @QueueWorker(queue)
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        next.resolve(message.payload);
      }
    }
    const moduleRef = await boot(valkey().url, [Worker]);
    await moduleRef.get(QueueSender).send(queue, 1);
    await expect(next.promise).resolves.toBe(1);
    next = deferred<unknown>();
    const admin = rawClient(valkey().url);
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await admin.xadd(keysOf(queue).stream, '*', ...envelopeFields('2'));
    await admin.quit();
    await expect(next.promise).resolves.toBe(2);
  });

  it('graceful shutdown leaves an unfinished message pending (not acked, not retried); another worker completes it', async () => {
    const queue = uniqueQueue();
    const started = deferred<void>();
    const aborted = deferred<unknown>();
    let firstCalls = 0;
    @QueueWorker(queue, { shutdownTimeout: 300, claimIdle: 1_000 })
    class StuckWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        firstCalls += 1;
        started.resolve();
        await new Promise<void>((resolve) => message.signal.addEventListener('abort', () => resolve()));
        aborted.resolve(message.signal.reason);
        throw message.signal.reason;
      }
    }
    const completed = deferred<QueueMessage>();
    @QueueWorker(queue, { claimIdle: 1_000, autoStart: false })
    class HealthyWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        completed.resolve(message);
      }
    }
    const stuck = await bootWorkers(valkey().url, [StuckWorker]);
    const { id } = await stuck.get(QueueSender).send(queue, 'job');
    await started.promise;
    await stuck.close();
    await expect(aborted.promise).resolves.toBeInstanceOf(WorkerShutdownError);

    const healthy = await boot(valkey().url, [HealthyWorker]);
    const client = clientOf(healthy);
    await expect(pendingCount(client, queue)).resolves.toBe(1);
    await expect(client.zcard(keysOf(queue).delayed)).resolves.toBe(0);
    await expect(stats(client, queue)).resolves.toEqual({});

    await workerOf(healthy, queue).start();
    await expect(completed.promise).resolves.toMatchObject({ id, attempt: 2 });
    await waitFor(async () => (await pendingCount(client, queue)) === 0, 'the ack');
    expect(firstCalls).toBe(1); // no handler ran in the stopped app
  });

  it('a stable consumer name first re-handles its own pending messages (without waiting for claimIdle)', async () => {
    const queue = uniqueQueue();
    const handled = deferred<QueueMessage>();
    @QueueWorker(queue, { consumer: 'pod-a', claimIdle: 60_000 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.resolve(message);
      }
    }
    const client = rawClient(valkey().url);
    await addRaw(client, queue, envelopeFields('"mine"', { id: 'left-over' }));
    const [entryId] = await deliver(client, keysOf(queue).stream, 'default', 'pod-a');
    await boot(valkey().url, [Worker]);
    await expect(handled.promise).resolves.toMatchObject({ id: 'left-over', attempt: 2 });
    await waitFor(
      async () => (await pendingEntry(client, keysOf(queue).stream, 'default', entryId)) === undefined,
      'ack',
    );
    await client.quit();
  });

  it('removes consumers of its group idle past consumerIdleCleanup with nothing pending, and only those', async () => {
    const queue = uniqueQueue();
    const client = rawClient(valkey().url);
    const stream = keysOf(queue).stream;
    await client.xgroup('CREATE', stream, 'default', '0', 'MKSTREAM');
    await client.xgroup('CREATE', stream, 'other', '0');
    await client.xgroup('CREATECONSUMER', stream, 'default', 'stale');
    await client.xgroup('CREATECONSUMER', stream, 'other', 'stale');
    await client.xadd(stream, '*', ...envelopeFields('1'));
    await deliver(client, stream, 'default', 'stale-but-busy');
    const names = async (group: string): Promise<string[]> => {
      const replies = (await client.call('XINFO', 'CONSUMERS', stream, group)) as unknown[][];
      return replies.map((reply) => String(reply[reply.indexOf('name') + 1])).sort();
    };
    @QueueWorker(queue, { consumerIdleCleanup: 1_000, claimIdle: 600_000, consumer: 'me' })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
    }
    await boot(valkey().url, [Worker]);
    await waitFor(async () => !(await names('default')).includes('stale'), 'the clean-up', 20_000, 200);
    await expect(names('default')).resolves.toEqual(['me', 'stale-but-busy']);
    await expect(names('other')).resolves.toEqual(['stale']);
    await client.quit();
  });

  it('never removes a live consumer waiting on an empty queue, on any server: idle counts from its last read attempt', async () => {
    const queue = uniqueQueue();
    const stream = keysOf(queue).stream;
    const client = rawClient(valkey().url);
    const names = async (): Promise<string[]> => {
      const replies = (await client.call('XINFO', 'CONSUMERS', stream, 'default')) as unknown[][];
      return replies.map((reply) => String(reply[reply.indexOf('name') + 1])).sort();
    };
    try {
      const handled = deferred<void>();
      // Alive and waiting: it re-reads every 200 ms, and its last delivery only gets older.
      @QueueWorker(queue, { consumer: 'peer', consumerIdleCleanup: 0, blockTimeout: 200 })
      class Peer {
        @OnMessage() async handle(): Promise<void> {
          handled.resolve();
        }
      }
      const peer = await boot(valkey().url, [Peer]);
      await peer.get(QueueSender).send(queue, 'the only message');
      await handled.promise;
      await waitFor(async () => (await pendingCount(client, queue)) === 0, 'the ack');
      // Created after the peer's last delivery: whenever the clean-up finds it idle, the peer's last
      // delivery is older still (Redis < 7.2 counts `idle` from there).
      await client.xgroup('CREATECONSUMER', stream, 'default', 'stale');
      @QueueWorker(queue, { consumer: 'cleaner', consumerIdleCleanup: 1_000, blockTimeout: 200 })
      class Cleaner {
        @OnMessage() async handle(): Promise<void> {}
      }
      await boot(valkey().url, [Cleaner]);
      await waitFor(async () => !(await names()).includes('stale'), 'the clean-up', 20_000, 200);
      await expect(names()).resolves.toEqual(['cleaner', 'peer']);
    } finally {
      await client.quit();
    }
  });
});
