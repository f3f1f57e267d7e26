import type { TestingModule } from '@nestjs/testing';
import { deferred } from 'nestjs-valkey-queue/testing';
import {
  InvalidWorkerError,
  OnDead,
  OnMessage,
  QueueAdmin,
  QueueSender,
  QueueWorker,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { bootSender } from '../sender/sender-fixtures.js';
import { onCluster } from '../utils/topology.js';
import { useValkey } from '../utils/use-valkey.js';
import { idOf, inFlightCount, listElement, listKeysOf, oldestFirst } from './list-test-kit.js';
import {
  bootFailure,
  bootWorkers,
  clientOf,
  records,
  stats,
  TRICKY_PAYLOAD,
  uniqueQueue,
  waitFor,
  workerOf,
} from './worker-test-kit.js';

describe('@QueueWorker on a list (transport list, real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule | undefined;
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('delivers a message sent with transport list, with its id, payload, headers and attempt 1, then acks it', async () => {
    const queue = uniqueQueue('list');
    const received = deferred<QueueMessage<{ orderId: number }>>();
    @QueueWorker(queue, { transport: 'list' })
    class EchoWorker {
      @OnMessage() async handle(message: QueueMessage<{ orderId: number }>): Promise<void> {
        received.resolve(message);
      }
    }
    moduleRef = await bootWorkers(valkey().url, [EchoWorker], { sender: { transport: 'list' } });
    const sent = await moduleRef.get(QueueSender).send(queue, { orderId: 42 }, { headers: { trace: 't-1' } });
    const message = await received.promise;
    expect(message).toMatchObject({
      id: sent.id,
      queue,
      payload: { orderId: 42 },
      headers: { trace: 't-1' },
      attempt: 1,
    });
    expect(message.createdAt).toBeInstanceOf(Date);
    const client = clientOf(moduleRef);
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the processed counter');
    await expect(inFlightCount(client, queue)).resolves.toBe(0);
    await expect(client.llen(listKeysOf(queue).list)).resolves.toBe(0);
  });

  it("counts messages in list workers' in-flight lists in the sender's size()", async () => {
    const queue = uniqueQueue('list');
    const started = deferred<void>();
    const release = deferred<void>();
    @QueueWorker(queue, { transport: 'list' })
    class HoldingWorker {
      @OnMessage() async handle(): Promise<void> {
        started.resolve();
        await release.promise;
      }
    }
    moduleRef = await bootWorkers(valkey().url, [HoldingWorker], { sender: { transport: 'list' } });
    const sender = moduleRef.get(QueueSender);
    await sender.send(queue, 'held');
    await started.promise;
    await sender.sendBatch(queue, ['waiting-1', 'waiting-2']);

    await expect(sender.size(queue)).resolves.toBe(3); // 1 in flight + 2 waiting
    release.resolve();
  });

  it('delivers messages pushed before any worker existed, oldest first, started by hand', async () => {
    const queue = uniqueQueue('list');
    const seen: unknown[] = [];
    const all = deferred<void>();
    @QueueWorker(queue, { transport: 'list', autoStart: false })
    class LateWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        seen.push(message.payload);
        if (seen.length === 3) all.resolve();
      }
    }
    moduleRef = await bootWorkers(valkey().url, [LateWorker], { sender: { transport: 'list' } });
    await moduleRef.get(QueueSender).sendBatch(queue, [1, 2, 3]);
    await workerOf(moduleRef, queue).start();
    await all.promise;
    expect(seen).toEqual([1, 2, 3]);
  });

  it('never runs more than `concurrency` handlers at once (3 with 20 slow messages: max exactly 3)', async () => {
    const queue = uniqueQueue('list');
    let running = 0;
    let maxRunning = 0;
    let finished = 0;
    const all = deferred<void>();
    @QueueWorker(queue, { transport: 'list', concurrency: 3, autoStart: false })
    class SlowWorker {
      @OnMessage() async handle(): Promise<void> {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        running -= 1;
        finished += 1;
        if (finished === 20) all.resolve();
      }
    }
    moduleRef = await bootWorkers(valkey().url, [SlowWorker], { sender: { transport: 'list' } });
    await moduleRef.get(QueueSender).sendBatch(
      queue,
      Array.from({ length: 20 }, (_, index) => index),
    );
    await workerOf(moduleRef, queue).start();
    await all.promise;
    expect(maxRunning).toBe(3);
    const client = clientOf(moduleRef);
    await waitFor(async () => (await stats(client, queue)).processed === 20, 'every ack');
    await expect(inFlightCount(client, queue)).resolves.toBe(0);
  });

  it('does not read while the queue is paused (QueueAdmin.pause), and resumes', async () => {
    const queue = uniqueQueue('list');
    const handled: unknown[] = [];
    const resumed = deferred<void>();
    // A read already blocked when the pause is set may still return a message: the pause takes
    // effect at the next read cycle, so a short blockTimeout makes that quick.
    @QueueWorker(queue, { transport: 'list', blockTimeout: 300 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.push(message.payload);
        resumed.resolve();
      }
    }
    moduleRef = await bootWorkers(valkey().url, [Worker], { sender: { transport: 'list' } });
    const admin = moduleRef.get(QueueAdmin);
    await admin.pause(queue);
    // The flag is checked at least once a second; wait past one check and one read cycle, then send.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await moduleRef.get(QueueSender).send(queue, 'while paused');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(handled).toEqual([]);
    await expect(clientOf(moduleRef).llen(listKeysOf(queue).list)).resolves.toBe(1);
    await admin.resume(queue);
    await resumed.promise;
    expect(handled).toEqual(['while paused']);
  });

  it('idempotent: a duplicate of a processed id is removed without calling the handler', async () => {
    const queue = uniqueQueue('list');
    const calls: string[] = [];
    @QueueWorker(queue, { transport: 'list', idempotent: true, processedTtl: 60_000 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        calls.push(message.id);
      }
    }
    moduleRef = await bootWorkers(valkey().url, [Worker]);
    const client = clientOf(moduleRef);
    const keys = listKeysOf(queue);
    const element = listElement('{"n":1}', { id: 'same-id' });
    await client.lpush(keys.list, element);
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the first ack');
    await expect(client.get(keys.done('same-id'))).resolves.toBe('1');
    const ttl = await client.pttl(keys.done('same-id'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);

    await client.lpush(keys.list, element, listElement('{"n":2}', { id: 'other-id' })); // a duplicate, then another
    await waitFor(async () => (await stats(client, queue)).processed === 2, 'the second ack');
    await waitFor(async () => (await inFlightCount(client, queue)) === 0, 'nothing in flight');
    await expect(client.llen(keys.list)).resolves.toBe(0);
    expect(calls).toEqual(['same-id', 'other-id']);
  });

  // Skipped on the cluster run: valkeysender's key (queue:<name>) has no hash tag, which Cluster refuses by design.
  (onCluster ? it.skip : it)(
    "consumes valkeysender's lists: its key (queue:<name>) and element format; retries keep both",
    async () => {
      const queue = uniqueQueue('vs');
      const namer = (name: string): string => `queue:${name}`;
      const attempts: number[] = [];
      const done = deferred<QueueMessage>();
      @QueueWorker(queue, { transport: 'list', queueNamer: namer, backoff: 500 })
      class ValkeysenderWorker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          attempts.push(message.attempt);
          if (message.attempt === 1) throw new Error('once');
          done.resolve(message);
        }
      }
      moduleRef = await bootWorkers(valkey().url, [ValkeysenderWorker]);
      const client = clientOf(moduleRef);
      const keys = listKeysOf(queue);
      const senderRef = await bootSender(valkey().url, {
        transport: 'list',
        queueNamer: namer,
        listFormat: 'valkeysender',
      });
      try {
        const sent = await senderRef.get(QueueSender).send(queue, { legacy: true }, { headers: { h: '1' } });
        // The retry waits in the delayed set, still in valkeysender's format.
        await waitFor(async () => (await client.hget(keys.bodies, sent.id)) !== null, 'the retry copy');
        const copy = JSON.parse((await client.hget(keys.bodies, sent.id))!) as Record<string, unknown>;
        expect(copy).toMatchObject({ id: sent.id, queue, retries: 1 });
        expect(copy).not.toHaveProperty('v');
        await expect(done.promise).resolves.toMatchObject({
          id: sent.id,
          attempt: 2,
          payload: { legacy: true },
          headers: { h: '1' },
        });
      } finally {
        await senderRef.close();
      }
      expect(attempts).toEqual([1, 2]);
      await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
      await expect(client.hgetall(keys.consumers)).resolves.toEqual({
        [workerOf(moduleRef, queue).consumer]: `queue:${queue}`,
      });
      await expect(client.exists(keys.list, `queue:${queue}`)).resolves.toBe(0);
    },
  );

  it('refuses options that do not apply to lists at bootstrap, naming the class', async () => {
    const refused = async (options: object): Promise<Error> => {
      @QueueWorker(uniqueQueue('list'), { transport: 'list', ...options })
      class RefusedListWorker {
        @OnMessage() async handle(): Promise<void> {}
      }
      return bootFailure(valkey().url, [RefusedListWorker]);
    };
    for (const [options, reason] of [
      [{ deleteOnAck: true }, /deleteOnAck does not apply/],
      [{ noAck: true }, /noAck is not available/],
      [{ group: 'billing' }, /group does not apply/],
    ] as const) {
      const error = await refused(options);
      expect(error).toBeInstanceOf(InvalidWorkerError);
      expect(error.message).toMatch(/RefusedListWorker/);
      expect(error.message).toMatch(reason);
    }
    @QueueWorker(uniqueQueue(), { queueNamer: (name: string) => name })
    class StreamWithNamer {
      @OnMessage() async handle(): Promise<void> {}
    }
    await expect(bootFailure(valkey().url, [StreamWithNamer])).resolves.toThrow(
      /queueNamer needs transport 'list'/,
    );
    @QueueWorker(uniqueQueue(), { transport: 'list', queueNamer: () => '' })
    class EmptyNamer {
      @OnMessage() async handle(): Promise<void> {}
    }
    await expect(bootFailure(valkey().url, [EmptyNamer])).resolves.toThrow(
      /queueNamer returned "", not a key name/,
    );
  });

  it('stats report the list, its in-flight messages and its consumers', async () => {
    const queue = uniqueQueue('list');
    const started = deferred<void>();
    const release = deferred<void>();
    @QueueWorker(queue, { transport: 'list', concurrency: 2 })
    class BusyWorker {
      @OnMessage() async handle(): Promise<void> {
        started.resolve();
        await release.promise;
      }
    }
    moduleRef = await bootWorkers(valkey().url, [BusyWorker], { sender: { transport: 'list' } });
    await moduleRef.get(QueueSender).sendBatch(queue, [1, 2, 3, 4, 5]);
    await started.promise;
    const client = clientOf(moduleRef);
    await waitFor(async () => (await inFlightCount(client, queue)) === 2, 'two in flight');
    const stats = await moduleRef.get(QueueAdmin).stats(queue);
    expect(stats).toMatchObject({ length: 3, pending: 2, consumers: 1 });
    expect(stats.lists).toEqual([{ key: listKeysOf(queue).list, length: 3, inFlight: 2, consumers: 1 }]);
    release.resolve();
  });

  it('redrive puts list dead letters back onto the list they came from, attempt 1, payload byte-identical', async () => {
    const queue = uniqueQueue('list');
    let failing = true;
    const handled: QueueMessage<string>[] = [];
    const deadCount = { n: 0 };
    @QueueWorker(queue, {
      transport: 'list',
      maxRetries: 0,
      codec: { encode: String, decode: (text: string) => text },
    })
    class Worker {
      @OnMessage() async handle(message: QueueMessage<string>): Promise<void> {
        if (failing) throw new Error('not yet');
        handled.push(message);
      }
      @OnDead() async dead(): Promise<void> {
        deadCount.n += 1;
      }
    }
    moduleRef = await bootWorkers(valkey().url, [Worker]);
    const client = clientOf(moduleRef);
    const keys = listKeysOf(queue);
    const elements = Array.from({ length: 10 }, (_, index) =>
      listElement(index === 0 ? TRICKY_PAYLOAD : String(index)),
    );
    await client.lpush(keys.list, ...elements);
    await waitFor(async () => (await client.xlen(keys.dead)) === 10, 'ten dead letters');
    expect((await records(client, keys.dead)).every((letter) => letter.sourceId === keys.list)).toBe(true);
    failing = false;
    await expect(moduleRef.get(QueueAdmin).redrive(queue, { count: 10 })).resolves.toBe(10);
    await waitFor(async () => handled.length === 10, 'the redriven messages');
    expect(handled.map((message) => message.id).sort()).toEqual(elements.map(idOf).sort());
    expect(handled.every((message) => message.attempt === 1)).toBe(true);
    expect(handled.find((message) => message.id === idOf(elements[0]))?.payload).toBe(TRICKY_PAYLOAD);
    await expect(client.xlen(keys.dead)).resolves.toBe(0);
    await expect(client.xlen(`${keys.tag}:stream`)).resolves.toBe(0); // nothing went to the stream
    await waitFor(async () => (await stats(client, queue)).processed === 10, 'the acks');
    await expect(stats(client, queue)).resolves.toMatchObject({ dead: 10, redriven: 10, processed: 10 });
  });

  it('redrive with transport: "list" moves stream dead letters onto the list (and never loses one it cannot move)', async () => {
    const queue = uniqueQueue('list');
    moduleRef = await bootWorkers(valkey().url, []);
    const client = clientOf(moduleRef);
    const keys = listKeysOf(queue);
    const fields = [
      'v',
      '1',
      'id',
      'm-1',
      'payload',
      '"x"',
      'headers',
      '{}',
      'createdAt',
      '1',
      'attempt',
      '3',
    ];
    await client.xadd(keys.dead, '*', ...fields, 'reason', 'dead', 'sourceId', '1-0');
    await client.xadd(keys.dead, '*', 'raw', 'garbage', 'reason', 'broken');
    const admin = moduleRef.get(QueueAdmin);
    await expect(admin.redrive(queue, { transport: 'list' })).resolves.toBe(1);
    const [element] = await oldestFirst(client, keys.list);
    expect(JSON.parse(element)).toEqual({
      v: '1',
      id: 'm-1',
      payload: '"x"',
      headers: {},
      createdAt: 1,
      attempt: 1,
    });
    await expect(client.xlen(keys.dead)).resolves.toBe(1); // the broken one stays
  });
});
