import type { TestingModule } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import {
  InvalidPayloadError,
  OnBroken,
  OnDead,
  OnMessage,
  QueueSender,
  QueueWorker,
  type BrokenMessage,
  type DeadMessage,
  type QueueMessage,
  type WorkerOptions,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { useValkey } from '../utils/use-valkey.js';
import { inFlightCount, listElement, listKeysOf } from './list-test-kit.js';
import {
  bootWorkers,
  clientOf,
  records,
  stats,
  TRICKY_PAYLOAD,
  uniqueQueue,
  waitFor,
  workerOf,
} from './worker-test-kit.js';

class OrderDto {
  @IsInt() @Min(1) orderId!: number;
  @IsString() customer!: string;
}

describe('list workers: retries, dead, broken and expired messages (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule | undefined;
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });
  const boot = (providers: Parameters<typeof bootWorkers>[1]) =>
    bootWorkers(valkey().url, providers, { sender: { transport: 'list' } });
  const send = (queue: string, payload: unknown, options = {}) =>
    moduleRef!.get(QueueSender).send(queue, payload, options);

  /** A list worker collecting handled, broken and dead messages. */
  const collector = (queue: string, options: WorkerOptions = {}) => {
    const handled: QueueMessage[] = [];
    const broken: BrokenMessage[] = [];
    const dead: DeadMessage[] = [];
    @QueueWorker(queue, { transport: 'list', autoStart: false, ...options })
    class CollectingWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.push(message);
      }
      @OnBroken() async broken(message: BrokenMessage): Promise<void> {
        broken.push(message);
      }
      @OnDead() async dead(message: DeadMessage): Promise<void> {
        dead.push(message);
      }
    }
    return { CollectingWorker, handled, broken, dead };
  };

  it('a handler failing k times succeeds on attempt k + 1, after exactly k retries', async () => {
    const queue = uniqueQueue('list');
    const attempts: number[] = [];
    const succeeded = deferred<QueueMessage>();
    @QueueWorker(queue, { transport: 'list', maxRetries: 3, backoff: 10 })
    class FlakyWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        attempts.push(message.attempt);
        if (message.attempt <= 2) throw new Error(`failure ${message.attempt}`);
        succeeded.resolve(message);
      }
    }
    moduleRef = await boot([FlakyWorker]);
    const { id } = await send(queue, { n: 1 });
    await expect(succeeded.promise).resolves.toMatchObject({ id, attempt: 3, payload: { n: 1 } });
    const client = clientOf(moduleRef);
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
    expect(attempts).toEqual([1, 2, 3]);
    await expect(stats(client, queue)).resolves.toEqual({ failed: 2, retried: 2, processed: 1 });
    await expect(client.xlen(listKeysOf(queue).dead)).resolves.toBe(0);
    await expect(inFlightCount(client, queue)).resolves.toBe(0);
  });

  it('an always failing message reaches @OnDead exactly once with attempts = maxRetries + 1 (maxRetries 2: 3 calls)', async () => {
    const queue = uniqueQueue('list');
    const calls: number[] = [];
    const dead: DeadMessage[] = [];
    const deadCalled = deferred<void>();
    @QueueWorker(queue, { transport: 'list', maxRetries: 2, backoff: { type: 'fixed', delay: 10 } })
    class FailingWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        calls.push(message.attempt);
        throw new Error('always');
      }
      @OnDead() async dead(message: DeadMessage): Promise<void> {
        dead.push(message);
        deadCalled.resolve();
      }
    }
    moduleRef = await boot([FailingWorker]);
    const { id } = await send(queue, { n: 1 });
    await deadCalled.promise;
    const client = clientOf(moduleRef);
    const keys = listKeysOf(queue);
    await waitFor(async () => (await client.xlen(keys.dead)) === 1, 'the dead letter');
    expect(calls).toEqual([1, 2, 3]);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id, attempts: 3, attempt: 3, payload: { n: 1 } });
    const [letter] = await records(client, keys.dead);
    expect(letter).toMatchObject({
      v: '1',
      id,
      payload: '{"n":1}',
      headers: '{}',
      reason: 'dead',
      error: 'always',
      attempts: '3',
      attempt: '3',
      sourceId: keys.list,
    });
    expect(letter.stack).toContain('always');
    await expect(inFlightCount(client, queue)).resolves.toBe(0);
    await expect(stats(client, queue)).resolves.toEqual({ failed: 3, retried: 2, dead: 1 });
  });

  it('bad JSON pushed raw reaches @OnBroken, then the dead-letter stream with the element in `raw`', async () => {
    const queue = uniqueQueue('list');
    const { CollectingWorker, handled, broken } = collector(queue);
    moduleRef = await boot([CollectingWorker]);
    const client = clientOf(moduleRef);
    const keys = listKeysOf(queue);
    const good = listElement('{"ok":true}');
    await client.lpush(keys.list, '{not json', listElement('{broken payload'), good);
    await workerOf(moduleRef, queue).start();
    await waitFor(async () => (await client.xlen(keys.dead)) === 2 && handled.length === 1, 'the outcomes');
    expect(broken.map((message) => message.raw)).toEqual([
      { raw: '{not json' },
      expect.objectContaining({ payload: '{broken payload' }),
    ]);
    expect(broken[0].id).toBeUndefined();
    expect(broken[0].error.message).toMatch(/schema version/);
    expect(broken[1].error).toBeInstanceOf(InvalidPayloadError);
    const letters = await records(client, keys.dead);
    expect(letters[0]).toMatchObject({
      raw: '{not json',
      reason: 'broken',
      attempts: '0',
      sourceId: keys.list,
    });
    expect(letters[1]).toMatchObject({ payload: '{broken payload', reason: 'broken' });
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
    await expect(stats(client, queue)).resolves.toEqual({ broken: 2, processed: 1 });
    await expect(inFlightCount(client, queue)).resolves.toBe(0);
  });

  it('a DTO-invalid payload reaches @OnBroken and is never retried; a valid one is a DTO instance', async () => {
    const queue = uniqueQueue('list');
    const { CollectingWorker, handled, broken } = collector(queue, { payload: OrderDto, maxRetries: 3 });
    moduleRef = await boot([CollectingWorker]);
    await send(queue, { orderId: 0, customer: 7 });
    await send(queue, { orderId: 5, customer: 'ann' });
    await workerOf(moduleRef, queue).start();
    const client = clientOf(moduleRef);
    await waitFor(async () => broken.length === 1 && handled.length === 1, 'both messages');
    expect(handled[0].payload).toBeInstanceOf(OrderDto);
    expect(broken[0].error).toBeInstanceOf(InvalidPayloadError);
    await waitFor(async () => (await stats(client, queue)).broken === 1, 'the dead letter');
    await expect(stats(client, queue)).resolves.toMatchObject({ broken: 1 });
    await expect(client.zcard(listKeysOf(queue).delayed)).resolves.toBe(0);
  });

  it('an expired message is never handled: dead letter with reason expired', async () => {
    const queue = uniqueQueue('list');
    const { CollectingWorker, handled } = collector(queue);
    moduleRef = await boot([CollectingWorker]);
    const expired = await send(queue, 'A', { ttl: 50 });
    await send(queue, 'B');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the TTL must pass before the worker reads
    await workerOf(moduleRef, queue).start();
    const client = clientOf(moduleRef);
    const keys = listKeysOf(queue);
    await waitFor(async () => (await client.xlen(keys.dead)) === 1 && handled.length === 1, 'the outcomes');
    expect(handled.map((message) => message.payload)).toEqual(['B']);
    const [letter] = await records(client, keys.dead);
    expect(letter).toMatchObject({ id: expired.id, reason: 'expired', attempts: '0' });
    expect(letter.error).toMatch(/^expired at /);
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
    await expect(stats(client, queue)).resolves.toEqual({ expired: 1, processed: 1 });
  });

  it('keeps the payload byte-identical through a retry and the dead-letter copy', async () => {
    const queue = uniqueQueue('list');
    const seen: string[] = [];
    const dead = deferred<void>();
    @QueueWorker(queue, {
      transport: 'list',
      maxRetries: 1,
      backoff: 10,
      codec: { encode: String, decode: (text: string) => text },
    })
    class RawWorker {
      @OnMessage() async handle(message: QueueMessage<string>): Promise<void> {
        seen.push(message.payload);
        throw new Error('again');
      }
      @OnDead() async dead(): Promise<void> {
        dead.resolve();
      }
    }
    moduleRef = await boot([RawWorker]);
    const client = clientOf(moduleRef);
    const keys = listKeysOf(queue);
    await client.lpush(keys.list, listElement(TRICKY_PAYLOAD));
    await dead.promise;
    await waitFor(async () => (await client.xlen(keys.dead)) === 1, 'the dead letter');
    expect(seen).toEqual([TRICKY_PAYLOAD, TRICKY_PAYLOAD]);
    const [letter] = await records(client, keys.dead);
    expect(letter.payload).toBe(TRICKY_PAYLOAD);
  });
});
