import type { TestingModule } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import {
  DeliveryLimitError,
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
import { inFlightCount, listElement, listKeysOf, oldestFirst } from './list-test-kit.js';
import { bootWorkers, clientOf, records, stats, uniqueQueue, waitFor, workerOf } from './worker-test-kit.js';

const sha1 = (element: string): string => createHash('sha1').update(element, 'utf8').digest('hex');

describe('list workers: crash recovery, heartbeats and shutdown (real Valkey)', () => {
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

  /** Puts elements in the in-flight list of a registered consumer whose heartbeat has expired. */
  const orphan = async (queue: string, elements: string[], redeliveries = 0): Promise<void> => {
    const client = rawClient(valkey().url);
    const keys = listKeysOf(queue);
    await client.lpush(keys.inflight('crashed-consumer'), ...elements);
    await client.hset(keys.consumers, 'crashed-consumer', keys.list);
    for (const element of elements) {
      if (redeliveries > 0) await client.hset(keys.deliveries, sha1(element), redeliveries);
    }
    await client.quit();
  };

  it("returns a dead consumer's in-flight list to the queue; the redelivery counts as an attempt", async () => {
    const queue = uniqueQueue('list');
    const handled = deferred<QueueMessage>();
    @QueueWorker(queue, { transport: 'list', claimIdle: 1_000 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.resolve(message);
      }
    }
    await orphan(queue, [listElement('"orphan"', { id: 'orphan' })]);
    const moduleRef = await boot(valkey().url, [Worker]);
    await expect(handled.promise).resolves.toMatchObject({ id: 'orphan', attempt: 2, payload: 'orphan' });
    const client = clientOf(moduleRef);
    const keys = listKeysOf(queue);
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
    await expect(client.exists(keys.inflight('crashed-consumer'))).resolves.toBe(0);
    await expect(client.hexists(keys.consumers, 'crashed-consumer')).resolves.toBe(0); // unregistered
    await expect(client.exists(keys.deliveries)).resolves.toBe(0); // the count went with the ack
  });

  it('a message delivered more than maxRetries + 1 times is dead without another handler call (crash loop)', async () => {
    const queue = uniqueQueue('list');
    let calls = 0;
    const dead = deferred<DeadMessage>();
    @QueueWorker(queue, { transport: 'list', claimIdle: 1_000, maxRetries: 1 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {
        calls += 1;
      }
      @OnDead() async dead(message: DeadMessage): Promise<void> {
        dead.resolve(message);
      }
    }
    // Delivered twice already (each delivery killed its worker): returned once before, now again.
    await orphan(queue, [listElement('1', { id: 'poison' })], 1);
    const moduleRef = await boot(valkey().url, [Worker]);
    const message = await dead.promise;
    expect(message).toMatchObject({ id: 'poison', attempts: 2 });
    expect(message.error).toBeInstanceOf(DeliveryLimitError);
    expect(calls).toBe(0);
    const client = clientOf(moduleRef);
    const keys = listKeysOf(queue);
    await waitFor(async () => (await client.xlen(keys.dead)) === 1, 'the dead letter');
    const [letter] = await records(client, keys.dead);
    expect(letter).toMatchObject({ id: 'poison', reason: 'dead', attempts: '2' });
    await expect(stats(client, queue)).resolves.toEqual({ dead: 1 });
    await expect(client.exists(keys.deliveries)).resolves.toBe(0);
  });

  it('a slow but alive handler (3x claimIdle) keeps its heartbeat: a second worker never takes it', async () => {
    const queue = uniqueQueue('list');
    let invocations = 0;
    const finished = deferred<void>();
    @QueueWorker(queue, { transport: 'list', claimIdle: 1_200 })
    class SlowWorker {
      @OnMessage() async handle(): Promise<void> {
        invocations += 1;
        await new Promise((resolve) => setTimeout(resolve, 3_600)); // the scenario: a long handler
        finished.resolve();
      }
    }
    const first = await boot(valkey().url, [SlowWorker], { sender: { transport: 'list' } });
    await boot(valkey().url, [SlowWorker]);
    await first.get(QueueSender).send(queue, 'slow');
    await finished.promise;
    const client = clientOf(first);
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
    expect(invocations).toBe(1);
  });

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
    const stuck = await bootWorkers(valkey().url, [StuckWorker], { sender: { transport: 'list' } });
    const sender = stuck.get(QueueSender);
    const { id } = await sender.send(queue, 'job');
    await started.promise;
    await sender.send(queue, 'next'); // waiting behind it: the returned message goes before it
    await stuck.close();
    await expect(aborted.promise).resolves.toBeInstanceOf(WorkerShutdownError);

    const healthy = await boot(valkey().url, [HealthyWorker]);
    const client = clientOf(healthy);
    const keys = listKeysOf(queue);
    const waiting = await oldestFirst(client, keys.list);
    expect(waiting.map((element) => JSON.parse(element).id)).toEqual([id, expect.any(String)]);
    await expect(client.hlen(keys.consumers)).resolves.toBe(0); // left cleanly
    await expect(client.zcard(keys.delayed)).resolves.toBe(0);
    await expect(stats(client, queue)).resolves.toEqual({});

    await workerOf(healthy, queue).start();
    await expect(completed.promise).resolves.toMatchObject({ id, attempt: 2 });
    await waitFor(async () => (await stats(client, queue)).processed === 2, 'the acks');
    expect(firstCalls).toBe(1); // no handler ran in the stopped app
  });

  it('a stable consumer name first returns what it left in flight, without waiting for its heartbeat to expire', async () => {
    const queue = uniqueQueue('list');
    const handled = deferred<QueueMessage>();
    @QueueWorker(queue, { transport: 'list', consumer: 'pod-a', claimIdle: 60_000 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.resolve(message);
      }
    }
    const client = rawClient(valkey().url);
    const keys = listKeysOf(queue);
    await client.lpush(keys.inflight('pod-a'), listElement('"mine"', { id: 'left-over' }));
    await client.hset(keys.consumers, 'pod-a', keys.list);
    await client.set(keys.heartbeat('pod-a'), '1', 'PX', 60_000); // an earlier run, just restarted
    await boot(valkey().url, [Worker]);
    await expect(handled.promise).resolves.toMatchObject({ id: 'left-over', attempt: 2 });
    await waitFor(async () => (await inFlightCount(client, queue)) === 0, 'the ack');
    await client.quit();
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
    const moduleRef = await boot(valkey().url, [Worker]);
    const client = clientOf(moduleRef);
    const { consumer } = workerOf(moduleRef, queue);
    await client.lpush(listKeysOf(queue).inflight(consumer), listElement('"stray"', { id: 'stray' }));
    await expect(handled.promise).resolves.toMatchObject({ id: 'stray', attempt: 2 });
    await waitFor(async () => (await inFlightCount(client, queue)) === 0, 'the ack');
  });

  it('keeps a heartbeat with a TTL while running, and leaves the registry on a clean stop', async () => {
    const queue = uniqueQueue('list');
    @QueueWorker(queue, { transport: 'list', claimIdle: 3_000 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const moduleRef = await boot(valkey().url, [Worker]);
    const client = clientOf(moduleRef);
    const keys = listKeysOf(queue);
    const worker = workerOf(moduleRef, queue);
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
