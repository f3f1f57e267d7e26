import type { TestingModule } from '@nestjs/testing';
import { deferred } from 'nestjs-valkey-queue/testing';
import {
  DeleteOnAckRefusedError,
  OnDead,
  OnMessage,
  QueueAdmin,
  QueueSender,
  QueueWorker,
  WorkerRegistry,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { rawClient, serversOf } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import {
  addRaw,
  bootFailure,
  bootWorkers,
  clientOf,
  envelopeFields,
  keysOf,
  pendingCount,
  stats,
  uniqueQueue,
  waitFor,
  workerOf,
} from './worker-test-kit.js';

describe('@QueueWorker consuming a stream (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule | undefined;
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('delivers a sent message with its id, payload, headers and attempt 1, then acks it', async () => {
    const queue = uniqueQueue();
    const received = deferred<QueueMessage<{ orderId: number }>>();
    @QueueWorker(queue)
    class EchoWorker {
      @OnMessage() async handle(message: QueueMessage<{ orderId: number }>): Promise<void> {
        received.resolve(message);
      }
    }
    moduleRef = await bootWorkers(valkey().url, [EchoWorker]);
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
    expect(message.signal.aborted).toBe(false);
    const client = clientOf(moduleRef);
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the processed counter');
    await expect(pendingCount(client, queue)).resolves.toBe(0);
  });

  it('delivers messages sent before any worker existed (group created from 0), started by hand', async () => {
    const queue = uniqueQueue();
    const seen: unknown[] = [];
    const all = deferred<void>();
    @QueueWorker(queue, { autoStart: false })
    class LateWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        seen.push(message.payload);
        if (seen.length === 3) all.resolve();
      }
    }
    moduleRef = await bootWorkers(valkey().url, [LateWorker]);
    await moduleRef.get(QueueSender).sendBatch(queue, [1, 2, 3]);
    const worker = moduleRef.get(WorkerRegistry).get(queue)!;
    expect(worker).toMatchObject({ name: 'LateWorker', queue, group: 'default', running: false });
    await worker.start();
    expect(worker.running).toBe(true);
    await all.promise;
    expect(seen).toEqual([1, 2, 3]);
  });

  it('never runs more than `concurrency` handlers at once (3 with 20 slow messages: max exactly 3)', async () => {
    const queue = uniqueQueue();
    let running = 0;
    let maxRunning = 0;
    let finished = 0;
    const all = deferred<void>();
    @QueueWorker(queue, { concurrency: 3, autoStart: false })
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
    moduleRef = await bootWorkers(valkey().url, [SlowWorker]);
    await moduleRef.get(QueueSender).sendBatch(
      queue,
      Array.from({ length: 20 }, (_, index) => index),
    );
    await workerOf(moduleRef, queue).start();
    await all.promise;
    expect(maxRunning).toBe(3);
  });

  it('does not read while the queue is paused (QueueAdmin.pause), and resumes', async () => {
    const queue = uniqueQueue();
    const handled: unknown[] = [];
    const resumed = deferred<void>();
    // A read already blocked when the pause is set may still return messages: the pause takes
    // effect at the next read cycle, so a short blockTimeout makes that quick.
    @QueueWorker(queue, { blockTimeout: 300 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.push(message.payload);
        resumed.resolve();
      }
    }
    moduleRef = await bootWorkers(valkey().url, [Worker]);
    const admin = moduleRef.get(QueueAdmin);
    await admin.pause(queue);
    // The flag is checked at least once a second; wait past one check and one read cycle, then send.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await moduleRef.get(QueueSender).send(queue, 'while paused');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(handled).toEqual([]);
    await admin.resume(queue);
    await resumed.promise;
    expect(handled).toEqual(['while paused']);
  });

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
    moduleRef = await bootWorkers(valkey().url, [Worker]);
    await moduleRef.get(QueueSender).sendBatch(queue, ['bad', 'good']);
    await second.promise;
    const client = clientOf(moduleRef);
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
    moduleRef = await bootWorkers(valkey().url, [Worker]);
    await moduleRef.get(QueueSender).sendBatch(queue, [1, 2, 3]);
    const client = clientOf(moduleRef);
    await waitFor(async () => (await stats(client, queue)).processed === 3, 'three acks');
    await expect(client.xlen(keysOf(queue).stream)).resolves.toBe(0);
  });

  it('deleteOnAck is refused at startup with a typed error when the stream has another group', async () => {
    const queue = uniqueQueue();
    const client = rawClient(valkey().url);
    await client.xgroup('CREATE', keysOf(queue).stream, 'analytics', '0', 'MKSTREAM');
    await client.quit();
    @QueueWorker(queue, { deleteOnAck: true })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const error = await bootFailure(valkey().url, [Worker]);
    expect(error).toBeInstanceOf(DeleteOnAckRefusedError);
    expect(error.message).toMatch(/2 consumer groups/);
  });

  it('idempotent: a redelivered duplicate of a processed id is acked without calling the handler', async () => {
    const queue = uniqueQueue();
    const calls: string[] = [];
    @QueueWorker(queue, { idempotent: true, processedTtl: 60_000 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        calls.push(message.id);
      }
    }
    moduleRef = await bootWorkers(valkey().url, [Worker]);
    const client = clientOf(moduleRef);
    const fields = envelopeFields('{"n":1}', { id: 'same-id' });
    await addRaw(client, queue, fields);
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the first ack');
    await expect(client.get(keysOf(queue).done('same-id'))).resolves.toBe('1');
    const ttl = await client.pttl(keysOf(queue).done('same-id'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);

    await addRaw(client, queue, fields); // the same envelope again (lost ack, duplicate send)
    await addRaw(client, queue, envelopeFields('{"n":2}', { id: 'other-id' }));
    await waitFor(async () => (await stats(client, queue)).processed === 2, 'the second ack');
    await waitFor(async () => (await pendingCount(client, queue)) === 0, 'nothing pending');
    expect(calls).toEqual(['same-id', 'other-id']);
  });

  it('trims entries every group has acknowledged (trimAcked), never pending or undelivered ones', async () => {
    const queue = uniqueQueue();
    @QueueWorker(queue, { claimIdle: 1_000, concurrency: 50 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
    }
    moduleRef = await bootWorkers(valkey().url, [Worker]);
    await moduleRef.get(QueueSender).sendBatch(
      queue,
      Array.from({ length: 300 }, (_, index) => index),
    );
    const client = clientOf(moduleRef);
    await waitFor(async () => (await stats(client, queue)).processed === 300, 'every ack');
    // Trimming runs every claimIdle / 2 and removes whole stream nodes (100 entries by default).
    await waitFor(async () => (await client.xlen(keysOf(queue).stream)) <= 100, 'the trim');
  });

  it('a worker with constructor dependencies gets them injected', async () => {
    const queue = uniqueQueue();
    const forwarded = deferred<unknown>();
    @QueueWorker(queue)
    class ForwardingWorker {
      constructor(private readonly sender: QueueSender) {}
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        if (message.payload === 'first') await this.sender.send(queue, 'second');
        else forwarded.resolve(message.payload);
      }
    }
    moduleRef = await bootWorkers(valkey().url, [ForwardingWorker]);
    await moduleRef.get(QueueSender).send(queue, 'first');
    await expect(forwarded.promise).resolves.toBe('second');
  });

  it('an idle worker sends about one command per second or less', async () => {
    const queue = uniqueQueue();
    @QueueWorker(queue, { claimIdle: 30_000 })
    class IdleWorker {
      @OnMessage() async handle(): Promise<void> {}
    }
    moduleRef = await bootWorkers(valkey().url, [IdleWorker]);
    const client = clientOf(moduleRef);
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
