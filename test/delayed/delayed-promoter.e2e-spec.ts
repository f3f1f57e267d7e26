import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  DelayedPromoter,
  VALKEY_QUEUE_CLIENT,
  ValkeyQueueModule,
  type ValkeyClient,
  type ValkeyQueueOptions,
} from 'nestjs-valkey-queue';
import { scheduleMany, serverNow } from '../utils/delayed.js';
import { expectNoNewHandles, ioTurn, openHandleCounts } from '../utils/open-handles.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';

/** The keys of a fresh queue (docs/key-layout.md). */
const freshQueue = () => {
  const name = `delayed-${randomUUID()}`;
  const tag = `{vq:${name}}`;
  return { name, delayed: `${tag}:delayed`, bodies: `${tag}:delayed:bodies`, stream: `${tag}:stream` };
};

/** Stream entry ids start with the server time (ms) at which the entry was appended. */
const appendedAt = (entryId: string): number => Number(entryId.split('-')[0]);

describe('DelayedPromoter (real Valkey)', () => {
  const valkey = useValkey();
  const instances: TestingModule[] = [];
  let reader: Redis;

  const startInstance = async (scheduler?: ValkeyQueueOptions['scheduler']): Promise<TestingModule> => {
    const moduleRef = await Test.createTestingModule({
      imports: [ValkeyQueueModule.forRoot({ connection: valkey().connection, scheduler })],
    }).compile();
    await moduleRef.init();
    instances.push(moduleRef);
    return moduleRef;
  };
  /** Waits (XREAD BLOCK, no polling) for the entries after `afterId`. */
  const newEntries = async (stream: string, afterId = '0'): Promise<[string, string[]][]> => {
    const reply = await reader.xread('BLOCK', 10_000, 'STREAMS', stream, afterId);
    if (!reply) throw new Error(`no entry on ${stream} within 10 s`);
    return reply[0][1];
  };
  const nextEntry = async (stream: string): Promise<[string, string[]]> => (await newEntries(stream))[0];

  beforeAll(() => {
    reader = rawClient(valkey().url);
  });
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
  });
  afterAll(async () => reader.quit());

  it('appends a delayed message once it is due, not before', async () => {
    const instance = await startInstance();
    const client = instance.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
    const queue = freshQueue();
    const dueAt = (await serverNow(client)) + 400;
    await scheduleMany(client, queue, [{ id: 'm1', payload: '{"n":1}', dueAt }]);

    instance.get(DelayedPromoter).watch(queue.name, 'stream');
    const [entryId, fields] = await nextEntry(queue.stream);

    expect(fields).toEqual(expect.arrayContaining(['id', 'm1', 'payload', '{"n":1}']));
    expect(appendedAt(entryId)).toBeGreaterThanOrEqual(dueAt);
    expect(appendedAt(entryId)).toBeLessThan(dueAt + 1_000 + 2_000); // poll interval + slack for a loaded machine
  });

  it('wakes early for a message scheduled here, despite a long poll interval', async () => {
    const instance = await startInstance({ pollInterval: 30_000 });
    const client = instance.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
    const promoter = instance.get(DelayedPromoter);
    const queue = freshQueue();
    promoter.watch(queue.name, 'stream');
    // Let the first (empty) run finish, so the promoter is asleep for the whole poll interval.
    await new Promise((resolve) => setImmediate(resolve));
    const dueAt = (await serverNow(client)) + 300;
    await scheduleMany(client, queue, [{ id: 'early', payload: '{}', dueAt }]);
    promoter.scheduled(queue.name, dueAt);

    const [entryId] = await nextEntry(queue.stream);
    expect(appendedAt(entryId)).toBeGreaterThanOrEqual(dueAt);
    expect(appendedAt(entryId)).toBeLessThan(dueAt + 5_000); // far below the 30 s poll interval
  });

  it('moves 20k due messages exactly once with five instances promoting at once', async () => {
    const instances = await Promise.all(Array.from({ length: 5 }, () => startInstance()));
    const client = instances[0].get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
    const queue = freshQueue();
    const now = await serverNow(client);
    const messages = Array.from({ length: 20_000 }, (_, n) => ({
      id: `id-${n}`,
      payload: `{"n":${n}}`,
      dueAt: now - 1,
    }));
    await scheduleMany(client, queue, messages);

    for (const instance of instances) instance.get(DelayedPromoter).watch(queue.name, 'stream');
    // Wait for the last one: XREAD from the tail until the stream holds 20k entries.
    for (let seen = 0, lastId = '0'; seen < 20_000;) {
      const entries = await newEntries(queue.stream, lastId);
      seen += entries.length;
      lastId = entries[entries.length - 1][0];
    }

    const ids = new Set<string>();
    for (let cursor = '-'; ;) {
      const page = await client.xrange(queue.stream, cursor, '+', 'COUNT', 5_000);
      for (const [, fields] of page) ids.add(fields[3]);
      if (page.length < 5_000) break;
      cursor = `(${page[page.length - 1][0]}`;
    }
    expect(await client.xlen(queue.stream)).toBe(20_000);
    expect(ids.size).toBe(20_000);
    expect(await client.zcard(queue.delayed)).toBe(0);
    expect(await client.hlen(queue.bodies)).toBe(0);
  });

  it('leaves no timer or socket behind on shutdown', async () => {
    const before = openHandleCounts();
    const instance = await startInstance();
    const promoter = instance.get(DelayedPromoter);
    for (let n = 0; n < 3; n += 1) promoter.watch(freshQueue().name, 'stream');
    expect(promoter.watchedQueues()).toHaveLength(3);
    await instance.close();
    instances.splice(instances.indexOf(instance), 1);
    await ioTurn();
    await expectNoNewHandles(before);
  });
});
