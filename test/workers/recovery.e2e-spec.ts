import {
  DeliveryLimitError,
  OnBroken,
  OnDead,
  OnMessage,
  QueueWorker,
  WorkerShutdownError,
  type DeadMessage,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { listElement, oldestFirst } from './list-test-kit.js';
import {
  LIST,
  STREAM,
  TRANSPORTS,
  useWorkerApp,
  type RawMessage,
  type StrandOptions,
} from './transport-kit.js';
import {
  deliver,
  envelopeFields,
  keysOf,
  pendingCount,
  records,
  stats,
  uniqueQueue,
  waitFor,
} from './worker-test-kit.js';

const apps = useWorkerApp();
const valkey = apps.valkey;

describe.each(TRANSPORTS)(
  'crash recovery, reclaim and shutdown on the $name transport (real Valkey)',
  (transport) => {
    const newQueue = (): string => uniqueQueue(transport.name);

    /** Leaves `raws` delivered to a consumer (dead unless `alive`), through a client of its own. */
    const strand = async (queue: string, raws: RawMessage[], options: StrandOptions = {}): Promise<void> => {
      const client = rawClient(valkey().url);
      await transport.strand(client, queue, raws, options);
      await client.quit();
    };

    it("reclaims a dead consumer's message after claimIdle; the redelivery counts as an attempt", async () => {
      const queue = newQueue();
      const handled = deferred<QueueMessage>();
      @QueueWorker(queue, { ...transport.worker, claimIdle: 1_000 })
      class Worker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          handled.resolve(message);
        }
      }
      await strand(queue, [transport.envelope('"orphan"', { id: 'orphan' })]);
      const { client } = await apps.boot([Worker]);
      await expect(handled.promise).resolves.toMatchObject({ id: 'orphan', attempt: 2, payload: 'orphan' });
      await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
      await waitFor(async () => (await transport.inFlight(client, queue)) === 0, 'nothing in flight');
      await expect(transport.deliveryCounts(client, queue)).resolves.toBe(0); // the count went with the ack
      if (transport.name === 'list') {
        const keys = keysOf(queue);
        await expect(client.exists(keys.inflight('crashed-consumer'))).resolves.toBe(0);
        await expect(client.hexists(keys.consumers, 'crashed-consumer')).resolves.toBe(0); // unregistered
      }
    });

    it('a message delivered more than maxRetries + 1 times is dead without another handler call (crash loop)', async () => {
      const queue = newQueue();
      let calls = 0;
      const dead = deferred<DeadMessage>();
      @QueueWorker(queue, { ...transport.worker, claimIdle: 1_000, maxRetries: 1 })
      class Worker {
        @OnMessage() async handle(): Promise<void> {
          calls += 1;
        }
        @OnDead() async dead(message: DeadMessage): Promise<void> {
          dead.resolve(message);
        }
      }
      // Delivered twice already (each delivery killed its worker): the next one is the third.
      await strand(queue, [transport.envelope('1', { id: 'poison' })], { deliveries: 2 });
      const { client } = await apps.boot([Worker]);
      const message = await dead.promise;
      expect(message).toMatchObject({ id: 'poison', attempts: 2 });
      expect(message.error).toBeInstanceOf(DeliveryLimitError);
      expect(calls).toBe(0);
      await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
      const [letter] = await records(client, keysOf(queue).dead);
      expect(letter).toMatchObject({ id: 'poison', reason: 'dead', attempts: '2' });
      await expect(stats(client, queue)).resolves.toEqual({ dead: 1 });
      await expect(transport.deliveryCounts(client, queue)).resolves.toBe(0);
    });

    it('a slow but alive handler (3x claimIdle) is never reclaimed by a second worker: exactly one invocation', async () => {
      const queue = newQueue();
      let invocations = 0;
      const finished = deferred<void>();
      @QueueWorker(queue, { ...transport.worker, claimIdle: 1_200 })
      class SlowWorker {
        @OnMessage() async handle(): Promise<void> {
          invocations += 1;
          await new Promise((resolve) => setTimeout(resolve, 3_600)); // the scenario: a long handler
          finished.resolve();
        }
      }
      const first = await apps.boot([SlowWorker], transport.app);
      await apps.boot([SlowWorker]);
      await first.sender.send(queue, 'slow');
      await finished.promise;
      await waitFor(async () => (await stats(first.client, queue)).processed === 1, 'the ack');
      expect(invocations).toBe(1);
    });

    it('a stable consumer name first takes back what it left in flight, without waiting for claimIdle', async () => {
      const queue = newQueue();
      const handled = deferred<QueueMessage>();
      @QueueWorker(queue, { ...transport.worker, consumer: 'pod-a', claimIdle: 60_000 })
      class Worker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          handled.resolve(message);
        }
      }
      // An earlier run of pod-a, just restarted: its messages look freshly delivered.
      await strand(queue, [transport.envelope('"mine"', { id: 'left-over' })], {
        consumer: 'pod-a',
        alive: true,
      });
      const { client } = await apps.boot([Worker]);
      await expect(handled.promise).resolves.toMatchObject({ id: 'left-over', attempt: 2 });
      await waitFor(async () => (await transport.inFlight(client, queue)) === 0, 'the ack');
    });
  },
);

describe('crash recovery, reclaim and shutdown on the stream transport only (real Valkey)', () => {
  /** Puts a message in the PEL of a consumer that will never come back. */
  const orphan = async (queue: string, fields: string[], deliveries = 1): Promise<void> => {
    const client = rawClient(valkey().url);
    await STREAM.strand(client, queue, [fields], { deliveries });
    await client.quit();
  };

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
    await orphan(queue, ['not', 'an envelope'], 3); // the claim makes it the 4th delivery
    const { client } = await apps.boot([Worker]);
    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
    expect(hookCalls).toBe(0);
    await expect(pendingCount(client, queue)).resolves.toBe(0);
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
    const { sender, client } = await apps.boot([Worker]);
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
    const { sender } = await apps.boot([Worker]);
    await sender.send(queue, 1);
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
    const stuck = await apps.boot([StuckWorker]);
    const { id } = await stuck.sender.send(queue, 'job');
    await started.promise;
    await stuck.close();
    await expect(aborted.promise).resolves.toBeInstanceOf(WorkerShutdownError);

    const healthy = await apps.boot([HealthyWorker]);
    const { client } = healthy;
    await expect(pendingCount(client, queue)).resolves.toBe(1);
    await expect(client.zcard(keysOf(queue).delayed)).resolves.toBe(0);
    await expect(stats(client, queue)).resolves.toEqual({});

    await healthy.worker(queue).start();
    await expect(completed.promise).resolves.toMatchObject({ id, attempt: 2 });
    await waitFor(async () => (await pendingCount(client, queue)) === 0, 'the ack');
    expect(firstCalls).toBe(1); // no handler ran in the stopped app
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
    await apps.boot([Worker]);
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
      const peer = await apps.boot([Peer]);
      await peer.sender.send(queue, 'the only message');
      await handled.promise;
      await waitFor(async () => (await pendingCount(client, queue)) === 0, 'the ack');
      // Created after the peer's last delivery: whenever the clean-up finds it idle, the peer's last
      // delivery is older still (Redis < 7.2 counts `idle` from there).
      await client.xgroup('CREATECONSUMER', stream, 'default', 'stale');
      @QueueWorker(queue, { consumer: 'cleaner', consumerIdleCleanup: 1_000, blockTimeout: 200 })
      class Cleaner {
        @OnMessage() async handle(): Promise<void> {}
      }
      await apps.boot([Cleaner]);
      await waitFor(async () => !(await names()).includes('stale'), 'the clean-up', 20_000, 200);
      await expect(names()).resolves.toEqual(['cleaner', 'peer']);
    } finally {
      await client.quit();
    }
  });
});

describe('crash recovery, reclaim and shutdown on the list transport only (real Valkey)', () => {
  it('graceful shutdown returns an unfinished message to the head of the queue (not acked, not retried); another worker completes it', async () => {
    const queue = uniqueQueue('list');
    const started = deferred<void>();
    const aborted = deferred<unknown>();
    let firstCalls = 0;
    @QueueWorker(queue, { transport: 'list', shutdownTimeout: 300, claimIdle: 1_000 })
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
    @QueueWorker(queue, { transport: 'list', claimIdle: 1_000, autoStart: false })
    class HealthyWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        completed.resolve(message);
      }
    }
    const stuck = await apps.boot([StuckWorker], LIST.app);
    const { id } = await stuck.sender.send(queue, 'job');
    await started.promise;
    await stuck.sender.send(queue, 'next'); // waiting behind it: the returned message goes before it
    await stuck.close();
    await expect(aborted.promise).resolves.toBeInstanceOf(WorkerShutdownError);

    const healthy = await apps.boot([HealthyWorker]);
    const { client } = healthy;
    const keys = keysOf(queue);
    const waiting = await oldestFirst(client, keys.list);
    expect(waiting.map((element) => JSON.parse(element).id)).toEqual([id, expect.any(String)]);
    await expect(client.hlen(keys.consumers)).resolves.toBe(0); // left cleanly
    await expect(client.zcard(keys.delayed)).resolves.toBe(0);
    await expect(stats(client, queue)).resolves.toEqual({});

    await healthy.worker(queue).start();
    await expect(completed.promise).resolves.toMatchObject({ id, attempt: 2 });
    await waitFor(async () => (await stats(client, queue)).processed === 2, 'the acks');
    expect(firstCalls).toBe(1); // no handler ran in the stopped app
  });

  it('returns elements of its own in-flight list it does not track (e.g. an outcome given up) to the queue', async () => {
    const queue = uniqueQueue('list');
    const handled = deferred<QueueMessage>();
    @QueueWorker(queue, { transport: 'list', claimIdle: 1_000 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.resolve(message);
      }
    }
    const app = await apps.boot([Worker]);
    const { consumer } = app.worker(queue);
    await app.client.lpush(keysOf(queue).inflight(consumer), listElement('"stray"', { id: 'stray' }));
    await expect(handled.promise).resolves.toMatchObject({ id: 'stray', attempt: 2 });
    await waitFor(async () => (await LIST.inFlight(app.client, queue)) === 0, 'the ack');
  });

  it('keeps a heartbeat with a TTL while running, and leaves the registry on a clean stop', async () => {
    const queue = uniqueQueue('list');
    @QueueWorker(queue, { transport: 'list', claimIdle: 3_000 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const app = await apps.boot([Worker]);
    const { client } = app;
    const keys = keysOf(queue);
    const worker = app.worker(queue);
    await expect(client.hget(keys.consumers, worker.consumer)).resolves.toBe(keys.list);
    // Renewed every claimIdle / 3: alive past its TTL, never above it.
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      const ttl = await client.pttl(keys.heartbeat(worker.consumer));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(3_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await worker.stop();
    await expect(client.exists(keys.heartbeat(worker.consumer))).resolves.toBe(0);
    await expect(client.hexists(keys.consumers, worker.consumer)).resolves.toBe(0);
  });
});
