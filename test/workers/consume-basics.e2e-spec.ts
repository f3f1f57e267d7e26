import { deferred } from 'nestjs-valkey-queue/testing';
import {
  DeleteOnAckRefusedError,
  InvalidWorkerError,
  OnDead,
  OnMessage,
  QueueSender,
  QueueWorker,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { bootSender } from '../sender/sender-fixtures.js';
import { rawClient, serversOf } from '../utils/raw-client.js';
import { onCluster } from '../utils/topology.js';
import { idOf, listElement, oldestFirst } from './list-test-kit.js';
import { LIST, TRANSPORTS, useWorkerApp } from './transport-kit.js';
import {
  bootFailure,
  envelopeFields,
  keysOf,
  pendingCount,
  records,
  stats,
  TRICKY_PAYLOAD,
  uniqueQueue,
  waitFor,
} from './worker-test-kit.js';

const apps = useWorkerApp();

describe.each(TRANSPORTS)(
  '@QueueWorker consuming a queue on the $name transport (real Valkey)',
  (transport) => {
    it('delivers a sent message with its id, payload, headers and attempt 1, then acks it', async () => {
      const queue = uniqueQueue(transport.name);
      const received = deferred<QueueMessage<{ orderId: number }>>();
      @QueueWorker(queue, { ...transport.worker })
      class EchoWorker {
        @OnMessage() async handle(message: QueueMessage<{ orderId: number }>): Promise<void> {
          received.resolve(message);
        }
      }
      const { sender, client } = await apps.boot([EchoWorker], transport.app);
      const sent = await sender.send(queue, { orderId: 42 }, { headers: { trace: 't-1' } });
      const message = await received.promise;
      expect(message).toMatchObject({
        id: sent.id,
        queue,
        payload: { orderId: 42 },
        headers: { trace: 't-1' },
        attempt: 1,
      });
      expect(message.createdAt).toBeInstanceOf(Date);
      expect(message.signal.aborted).toBe(false);
      await waitFor(async () => (await stats(client, queue)).processed === 1, 'the processed counter');
      await expect(transport.inFlight(client, queue)).resolves.toBe(0);
      await expect(transport.waiting(client, queue)).resolves.toBe(0);
    });

    it('delivers messages sent before any worker existed, oldest first, started by hand', async () => {
      const queue = uniqueQueue(transport.name);
      const seen: unknown[] = [];
      const all = deferred<void>();
      @QueueWorker(queue, { ...transport.worker, autoStart: false })
      class LateWorker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          seen.push(message.payload);
          if (seen.length === 3) all.resolve();
        }
      }
      const app = await apps.boot([LateWorker], transport.app);
      await app.sender.sendBatch(queue, [1, 2, 3]);
      const worker = app.worker(queue);
      expect(worker).toMatchObject({ name: 'LateWorker', queue, group: 'default', running: false });
      await worker.start();
      expect(worker.running).toBe(true);
      await all.promise;
      expect(seen).toEqual([1, 2, 3]);
    });

    it('never runs more than `concurrency` handlers at once (3 with 20 slow messages: max exactly 3)', async () => {
      const queue = uniqueQueue(transport.name);
      let running = 0;
      let maxRunning = 0;
      let finished = 0;
      const all = deferred<void>();
      @QueueWorker(queue, { ...transport.worker, concurrency: 3, autoStart: false })
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
      const app = await apps.boot([SlowWorker], transport.app);
      await app.sender.sendBatch(
        queue,
        Array.from({ length: 20 }, (_, index) => index),
      );
      await app.worker(queue).start();
      await all.promise;
      expect(maxRunning).toBe(3);
      await waitFor(async () => (await stats(app.client, queue)).processed === 20, 'every ack');
      await expect(transport.inFlight(app.client, queue)).resolves.toBe(0);
    });

    it('does not read while the queue is paused (QueueAdmin.pause), and resumes', async () => {
      const queue = uniqueQueue(transport.name);
      const handled: unknown[] = [];
      const resumed = deferred<void>();
      // A read already blocked when the pause is set may still return messages: the pause takes
      // effect at the next read cycle, so a short blockTimeout makes that quick.
      @QueueWorker(queue, { ...transport.worker, blockTimeout: 300 })
      class Worker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          handled.push(message.payload);
          resumed.resolve();
        }
      }
      const { admin, sender, client } = await apps.boot([Worker], transport.app);
      await admin.pause(queue);
      // The flag is checked at least once a second; wait past one check and one read cycle, then send.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await sender.send(queue, 'while paused');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(handled).toEqual([]);
      await expect(transport.waiting(client, queue)).resolves.toBe(1);
      await admin.resume(queue);
      await resumed.promise;
      expect(handled).toEqual(['while paused']);
    });

    it('idempotent: a duplicate of a processed id is acked without calling the handler', async () => {
      const queue = uniqueQueue(transport.name);
      const calls: string[] = [];
      @QueueWorker(queue, { ...transport.worker, idempotent: true, processedTtl: 60_000 })
      class Worker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          calls.push(message.id);
        }
      }
      const { client } = await apps.boot([Worker], transport.app);
      const raw = transport.envelope('{"n":1}', { id: 'same-id' });
      await transport.push(client, queue, raw);
      await waitFor(async () => (await stats(client, queue)).processed === 1, 'the first ack');
      await expect(client.get(keysOf(queue).done('same-id'))).resolves.toBe('1');
      const ttl = await client.pttl(keysOf(queue).done('same-id'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);

      // The same message again (lost ack, duplicate send), then another.
      await transport.push(client, queue, raw, transport.envelope('{"n":2}', { id: 'other-id' }));
      await waitFor(async () => (await stats(client, queue)).processed === 2, 'the second ack');
      await waitFor(async () => (await transport.inFlight(client, queue)) === 0, 'nothing in flight');
      await expect(transport.waiting(client, queue)).resolves.toBe(0);
      expect(calls).toEqual(['same-id', 'other-id']);
    });

    it('a worker with constructor dependencies gets them injected', async () => {
      const queue = uniqueQueue(transport.name);
      const forwarded = deferred<unknown>();
      @QueueWorker(queue, { ...transport.worker })
      class ForwardingWorker {
        constructor(private readonly sender: QueueSender) {}
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          if (message.payload === 'first') await this.sender.send(queue, 'second');
          else forwarded.resolve(message.payload);
        }
      }
      const { sender } = await apps.boot([ForwardingWorker], transport.app);
      await sender.send(queue, 'first');
      await expect(forwarded.promise).resolves.toBe('second');
    });
  },
);

describe('@QueueWorker consuming a queue on the stream transport only (real Valkey)', () => {
  it('noAck: reads without pending entries; a failure is neither retried nor dead-lettered (at-most-once)', async () => {
    const queue = uniqueQueue();
    const calls: unknown[] = [];
    const second = deferred<void>();
    @QueueWorker(queue, { noAck: true, maxRetries: 3 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        calls.push(message.payload);
        if (message.payload === 'bad') throw new Error('lost');
        second.resolve();
      }
      @OnDead() async dead(): Promise<void> {
        throw new Error('never called');
      }
    }
    const { sender, client } = await apps.boot([Worker]);
    await sender.sendBatch(queue, ['bad', 'good']);
    await second.promise;
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the processed counter');
    expect(calls).toEqual(['bad', 'good']);
    await expect(pendingCount(client, queue)).resolves.toBe(0);
    await expect(client.xlen(keysOf(queue).dead)).resolves.toBe(0);
    await expect(client.zcard(keysOf(queue).delayed)).resolves.toBe(0);
    await expect(stats(client, queue)).resolves.toEqual({ failed: 1, processed: 1 });
  });

  it('deleteOnAck removes acked entries', async () => {
    const queue = uniqueQueue();
    @QueueWorker(queue, { deleteOnAck: true })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const { sender, client } = await apps.boot([Worker]);
    await sender.sendBatch(queue, [1, 2, 3]);
    await waitFor(async () => (await stats(client, queue)).processed === 3, 'three acks');
    await expect(client.xlen(keysOf(queue).stream)).resolves.toBe(0);
  });

  it('deleteOnAck is refused at startup with a typed error when the stream has another group', async () => {
    const queue = uniqueQueue();
    const client = rawClient(apps.valkey().url);
    await client.xgroup('CREATE', keysOf(queue).stream, 'analytics', '0', 'MKSTREAM');
    await client.quit();
    @QueueWorker(queue, { deleteOnAck: true })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const error = await bootFailure(apps.valkey().url, [Worker]);
    expect(error).toBeInstanceOf(DeleteOnAckRefusedError);
    expect(error.message).toMatch(/2 consumer groups/);
  });

  it('trims entries every group has acknowledged (trimAcked), never pending or undelivered ones', async () => {
    const queue = uniqueQueue();
    @QueueWorker(queue, { claimIdle: 1_000, concurrency: 50 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const { sender, client } = await apps.boot([Worker]);
    await sender.sendBatch(
      queue,
      Array.from({ length: 300 }, (_, index) => index),
    );
    await waitFor(async () => (await stats(client, queue)).processed === 300, 'every ack');
    // Trimming runs every claimIdle / 2 and removes whole stream nodes (100 entries by default), once
    // the entries are older than the 15 s a send's retry may still look for them (send-retry.lua).
    await waitFor(async () => (await client.xlen(keysOf(queue).stream)) <= 100, 'the trim');
  });

  it('an idle worker sends about one command per second or less', async () => {
    const queue = uniqueQueue();
    @QueueWorker(queue, { claimIdle: 30_000 })
    class IdleWorker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const { client } = await apps.boot([IdleWorker]);
    await new Promise((resolve) => setTimeout(resolve, 500)); // past the startup sweep
    const commands = async (): Promise<number> => {
      // Every primary on the cluster run: commandstats are per node.
      const infos = await Promise.all((await serversOf(client)).map((server) => server.info('commandstats')));
      const count = (name: string) =>
        infos.reduce(
          (sum, info) => sum + Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0),
          0,
        );
      return count('xreadgroup') + count('exists') + count('xautoclaim') + count('xinfo');
    };
    const before = await commands();
    await new Promise((resolve) => setTimeout(resolve, 6_000)); // measuring a rate over time
    const sent = (await commands()) - before;
    expect(sent).toBeLessThanOrEqual(6);
  });
});

describe('@QueueWorker consuming a queue on the list transport only (real Valkey)', () => {
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
    const { sender } = await apps.boot([HoldingWorker], LIST.app);
    await sender.send(queue, 'held');
    await started.promise;
    await sender.sendBatch(queue, ['waiting-1', 'waiting-2']);

    await expect(sender.size(queue)).resolves.toBe(3); // 1 in flight + 2 waiting
    release.resolve();
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
      const app = await apps.boot([ValkeysenderWorker]);
      const { client } = app;
      const keys = keysOf(queue);
      const senderRef = await bootSender(apps.valkey().url, {
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
        [app.worker(queue).consumer]: `queue:${queue}`,
      });
      await expect(client.exists(keys.list, `queue:${queue}`)).resolves.toBe(0);
    },
  );

  it('refuses options that do not apply to lists at bootstrap, naming the class', async () => {
    const url = apps.valkey().url;
    const refused = async (options: object): Promise<Error> => {
      @QueueWorker(uniqueQueue('list'), { transport: 'list', ...options })
      class RefusedListWorker {
        @OnMessage() async handle(): Promise<void> {}
      }
      return bootFailure(url, [RefusedListWorker]);
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
    await expect(bootFailure(url, [StreamWithNamer])).resolves.toThrow(/queueNamer needs transport 'list'/);
    @QueueWorker(uniqueQueue(), { transport: 'list', queueNamer: () => '' })
    class EmptyNamer {
      @OnMessage() async handle(): Promise<void> {}
    }
    await expect(bootFailure(url, [EmptyNamer])).resolves.toThrow(/queueNamer returned "", not a key name/);
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
    const { sender, admin, client } = await apps.boot([BusyWorker], LIST.app);
    await sender.sendBatch(queue, [1, 2, 3, 4, 5]);
    await started.promise;
    await waitFor(async () => (await LIST.inFlight(client, queue)) === 2, 'two in flight');
    const stats = await admin.stats(queue);
    expect(stats).toMatchObject({ length: 3, pending: 2, consumers: 1 });
    expect(stats.lists).toEqual([{ key: keysOf(queue).list, length: 3, inFlight: 2, consumers: 1 }]);
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
    const { client, admin } = await apps.boot([Worker]);
    const keys = keysOf(queue);
    const elements = Array.from({ length: 10 }, (_, index) =>
      listElement(index === 0 ? TRICKY_PAYLOAD : String(index)),
    );
    await client.lpush(keys.list, ...elements);
    await waitFor(async () => (await client.xlen(keys.dead)) === 10, 'ten dead letters');
    expect((await records(client, keys.dead)).every((letter) => letter.sourceId === keys.list)).toBe(true);
    failing = false;
    await expect(admin.redrive(queue, { count: 10 })).resolves.toBe(10);
    await waitFor(async () => handled.length === 10, 'the redriven messages');
    expect(handled.map((message) => message.id).sort()).toEqual(elements.map(idOf).sort());
    expect(handled.every((message) => message.attempt === 1)).toBe(true);
    expect(handled.find((message) => message.id === idOf(elements[0]))?.payload).toBe(TRICKY_PAYLOAD);
    await expect(client.xlen(keys.dead)).resolves.toBe(0);
    await expect(client.xlen(keys.stream)).resolves.toBe(0); // nothing went to the stream
    await waitFor(async () => (await stats(client, queue)).processed === 10, 'the acks');
    await expect(stats(client, queue)).resolves.toMatchObject({ dead: 10, redriven: 10, processed: 10 });
  });

  it('redrive with transport: "list" moves stream dead letters onto the list (and never loses one it cannot move)', async () => {
    const queue = uniqueQueue('list');
    const { client, admin } = await apps.boot([]);
    const keys = keysOf(queue);
    const fields = envelopeFields('"x"', { id: 'm-1', createdAt: '1', attempt: '3' });
    await client.xadd(keys.dead, '*', ...fields, 'reason', 'dead', 'sourceId', '1-0');
    await client.xadd(keys.dead, '*', 'raw', 'garbage', 'reason', 'broken');
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
