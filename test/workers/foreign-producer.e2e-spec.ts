import type { TestingModule } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import {
  DeliveryLimitError,
  OnDead,
  OnMessage,
  QueueWorker,
  type DeadMessage,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import type { Redis } from 'ioredis';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { listKeysOf } from './list-test-kit.js';
import {
  bootWorkers,
  clientOf,
  deliver,
  keysOf,
  records,
  stats,
  uniqueQueue,
  waitFor,
} from './worker-test-kit.js';

/**
 * Messages written as another producer would write them, following docs/key-layout.md alone: a
 * plain client, the documented field names and nothing else (no helper of the library builds them).
 */
describe('foreign producers: the documented wire format (real Valkey)', () => {
  const valkey = useValkey();
  let producer: Redis;
  const modules: TestingModule[] = [];
  const boot = async (...args: Parameters<typeof bootWorkers>): Promise<TestingModule> => {
    const moduleRef = await bootWorkers(...args);
    modules.push(moduleRef);
    return moduleRef;
  };
  beforeAll(() => {
    producer = rawClient(valkey().url);
  });
  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
  });
  afterAll(async () => producer.quit());

  /** The required stream fields (docs/key-layout.md), plus whatever the test adds. */
  const streamEntry = (id: string, extra: Record<string, string> = {}): string[] =>
    Object.entries({
      v: '1',
      id,
      payload: '{"n":1}',
      createdAt: String(Date.now()),
      attempt: '1',
      ...extra,
    }).flat();

  /** A worker whose handler always throws; records each call and resolves on @OnDead. */
  const failingWorker = (queue: string, options: Record<string, unknown>) => {
    const calls: QueueMessage[] = [];
    const dead = deferred<DeadMessage>();
    @QueueWorker(queue, { maxRetries: 1, backoff: 10, ...options })
    class FailingWorker {
      @OnMessage() handle(message: QueueMessage): void {
        calls.push(message);
        throw new Error(`fails at attempt ${message.attempt}`);
      }
      @OnDead() onDead(message: DeadMessage): void {
        dead.resolve(message);
      }
    }
    return { FailingWorker, calls, dead: dead.promise };
  };

  describe('stream', () => {
    it("takes a producer's attempt as the starting number: attempt 3 with maxRetries 1 runs twice, then is dead with attempts 2", async () => {
      const queue = uniqueQueue('foreign');
      const { FailingWorker, calls, dead } = failingWorker(queue, {});
      // the required fields only: no headers, expiresAt or dedupKey
      const createdAt = Date.now() - 1_000;
      const fields = streamEntry('f-1', { attempt: '3', createdAt: String(createdAt) });
      const entryId = await producer.xadd(keysOf(queue).stream, '*', ...fields);
      const moduleRef = await boot(valkey().url, [FailingWorker]);

      const message = await dead;
      expect(calls.map((call) => call.attempt)).toEqual([3, 4]);
      expect(calls[0]).toMatchObject({ id: 'f-1', payload: { n: 1 }, headers: {}, expiresAt: undefined });
      expect(calls[0].createdAt.getTime()).toBe(createdAt);
      expect(message).toMatchObject({ id: 'f-1', attempt: 4, attempts: 2 });
      expect(message.error.message).toBe('fails at attempt 4');
      const client = clientOf(moduleRef);
      await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
      const [letter] = await records(client, keysOf(queue).dead);
      expect(letter).toMatchObject({ id: 'f-1', reason: 'dead', attempts: '2', error: 'fails at attempt 4' });
      // sourceId: the entry id of the copy that died, the retry copy's, not the one XADD returned
      expect(calls[0].entryId).toBe(entryId);
      expect(letter.sourceId).toBe(calls[1].entryId);
      expect(letter.sourceId).not.toBe(entryId);
      await expect(stats(client, queue)).resolves.toEqual({ failed: 2, retried: 1, dead: 1 });
    });

    it('still ends a crash loop: attempt 3 delivered twice to consumers that died is dead without a third run', async () => {
      const queue = uniqueQueue('foreign');
      const { FailingWorker, calls, dead } = failingWorker(queue, { claimIdle: 1_000 });
      const stream = keysOf(queue).stream;
      await producer.xadd(stream, '*', ...streamEntry('f-2', { attempt: '3' }));
      // Two deliveries whose worker died (the second one reclaimed), idle long enough to reclaim.
      const [entryId] = await deliver(producer, stream, 'default', 'crashed-consumer');
      await producer.xclaim(stream, 'default', 'crashed-consumer', 0, entryId);
      await producer.call(
        'XCLAIM',
        stream,
        'default',
        'crashed-consumer',
        0,
        entryId,
        'IDLE',
        5_000,
        'JUSTID',
      );
      await boot(valkey().url, [FailingWorker]);

      const message = await dead;
      expect(calls).toEqual([]);
      expect(message).toMatchObject({ id: 'f-2', attempt: 5, attempts: 2 });
      expect(message.error).toBeInstanceOf(DeliveryLimitError);
      expect(message.error.message).toMatch(/^Delivered 2 times without completing/);
    });

    it('writes exactly the documented dead-letter fields, the stack only for dead ones while deadLetterStack is on', async () => {
      const withStack = uniqueQueue('foreign');
      const withoutStack = uniqueQueue('foreign');
      const brokenQueue = uniqueQueue('foreign');
      const first = failingWorker(withStack, { maxRetries: 0 });
      const second = failingWorker(withoutStack, { maxRetries: 0, deadLetterStack: false });
      const third = failingWorker(brokenQueue, {});
      const headers = '{"trace":"t-1"}';
      await producer.xadd(keysOf(withStack).stream, '*', ...streamEntry('f-5', { headers }));
      await producer.xadd(keysOf(withoutStack).stream, '*', ...streamEntry('f-6', { headers }));
      // createdAt is required: without it the entry is broken, never handled
      const noCreatedAt = Object.entries({ v: '1', id: 'f-7', payload: '1', attempt: '1' }).flat();
      const brokenEntryId = await producer.xadd(keysOf(brokenQueue).stream, '*', ...noCreatedAt);
      const modules = [first.FailingWorker, second.FailingWorker, third.FailingWorker];
      const client = clientOf(await boot(valkey().url, modules));
      await Promise.all([first.dead, second.dead]);

      const letter = async (queue: string) => {
        await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
        return (await records(client, keysOf(queue).dead))[0];
      };
      const envelopeFields = ['v', 'id', 'payload', 'createdAt', 'attempt', 'headers'];
      const deadFields = ['reason', 'error', 'attempts', 'failedAt', 'sourceId'];
      const stacked = await letter(withStack);
      expect(Object.keys(stacked).sort()).toEqual([...envelopeFields, ...deadFields, 'stack'].sort());
      expect(stacked.stack).toMatch(/^Error: fails at attempt 1\n\s+at /);
      const plain = await letter(withoutStack);
      expect(Object.keys(plain).sort()).toEqual([...envelopeFields, ...deadFields].sort());
      expect(plain).toMatchObject({ headers, reason: 'dead', error: 'fails at attempt 1', attempts: '1' });
      const broken = await letter(brokenQueue);
      expect(Object.keys(broken).sort()).toEqual(['v', 'id', 'payload', 'attempt', ...deadFields].sort());
      expect(broken).toMatchObject({ id: 'f-7', reason: 'broken', attempts: '0', sourceId: brokenEntryId });
      expect(broken.error).toMatch(/createdAt/);
      expect(third.calls).toEqual([]);
    });
  });

  describe('list', () => {
    const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

    it("takes a producer's attempt as the starting number on lists too: two runs, then dead with attempts 2", async () => {
      const queue = uniqueQueue('foreign-list');
      const { FailingWorker, calls, dead } = failingWorker(queue, { transport: 'list' });
      // createdAt and attempt as digit strings are read as numbers; no headers: {}
      const createdAt = Date.now() - 1_000;
      const element = JSON.stringify({
        v: '1',
        id: 'l-1',
        payload: '{"n":1}',
        createdAt: String(createdAt),
        attempt: '3',
      });
      await producer.lpush(listKeysOf(queue).list, element);
      const client = clientOf(await boot(valkey().url, [FailingWorker]));

      const message = await dead;
      expect(calls.map((call) => call.attempt)).toEqual([3, 4]);
      expect(calls[0]).toMatchObject({ id: 'l-1', payload: { n: 1 }, headers: {} });
      expect(calls[0].createdAt.getTime()).toBe(createdAt);
      expect(message).toMatchObject({ id: 'l-1', attempts: 2 });
      await waitFor(async () => (await client.xlen(listKeysOf(queue).dead)) === 1, 'the dead letter');
      const [letter] = await records(client, listKeysOf(queue).dead);
      expect(letter).toMatchObject({
        id: 'l-1',
        reason: 'dead',
        attempts: '2',
        sourceId: listKeysOf(queue).list,
      });
    });

    it('still ends a crash loop on lists: attempt 3 returned after two dead consumers is dead without a run', async () => {
      const queue = uniqueQueue('foreign-list');
      const { FailingWorker, calls, dead } = failingWorker(queue, { transport: 'list', claimIdle: 1_000 });
      const keys = listKeysOf(queue);
      const element = JSON.stringify({ v: '1', id: 'l-2', payload: '1', createdAt: Date.now(), attempt: 3 });
      // In the in-flight list of a consumer that died, returned once before: its next read is the third.
      await producer.lpush(keys.inflight('crashed-consumer'), element);
      await producer.hset(keys.consumers, 'crashed-consumer', keys.list);
      await producer.hset(keys.deliveries, sha1(element), 1);
      await boot(valkey().url, [FailingWorker]);

      const message = await dead;
      expect(calls).toEqual([]);
      expect(message).toMatchObject({ id: 'l-2', attempts: 2 });
      expect(message.error).toBeInstanceOf(DeliveryLimitError);
    });
  });
});
