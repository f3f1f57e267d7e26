import type { TestingModule } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import {
  OnBroken,
  OnMessage,
  QueueAdmin,
  QueueSender,
  QueueWorker,
  type BrokenMessage,
  type QueueMessage,
  type WorkerOptions,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import {
  badListElements,
  badStreamEntries,
  bytes,
  copiedFields,
  countOf,
  envelopeBytes,
  sameBytes,
  streamBytes,
} from './invalid-bytes-kit.js';
import { inFlightCount, listElement, listKeysOf } from './list-test-kit.js';
import {
  bootWorkers,
  keysOf,
  pendingCount,
  stats,
  uniqueQueue,
  waitFor,
  workerOf,
} from './worker-test-kit.js';

/**
 * Values read from Valkey are bytes: an element or entry that is not UTF-8 text ends exactly once
 * as a broken dead letter holding its bytes unchanged, never stays in flight and never reaches a
 * handler (contract items 22 and 27).
 */
describe('messages whose bytes are not UTF-8 (real Valkey)', () => {
  const valkey = useValkey();
  const modules: TestingModule[] = [];
  let client: Redis;
  beforeEach(() => {
    client = rawClient(valkey().url);
  });
  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
    await client.quit();
  });
  const boot = async (providers: Parameters<typeof bootWorkers>[1], transport: 'stream' | 'list') => {
    const moduleRef = await bootWorkers(valkey().url, providers, { sender: { transport } });
    modules.push(moduleRef);
    return moduleRef;
  };

  /** A worker recording handled ids and broken messages; `brokenGate` holds its @OnBroken until resolved. */
  const collector = (queue: string, options: WorkerOptions, brokenGate?: Promise<void>) => {
    const handled: string[] = [];
    const broken: BrokenMessage[] = [];
    @QueueWorker(queue, { concurrency: 20, ...options })
    class CollectingWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.push(message.id);
      }
      @OnBroken() async broken(message: BrokenMessage): Promise<void> {
        broken.push(message);
        await brokenGate;
      }
    }
    return { CollectingWorker, handled, broken };
  };

  /** Each element ends once as a broken dead letter whose `raw` is its bytes; nothing else is dead. */
  async function expectListDeadLetters(queue: string, elements: readonly Buffer[]): Promise<void> {
    const letters = await streamBytes(client, listKeysOf(queue).dead);
    expect(letters).toHaveLength(elements.length);
    for (const letter of letters) {
      expect(letter.text('reason')).toBe('broken');
      expect(letter.text('error')).toContain('not valid UTF-8');
    }
    const raws = letters.map((letter) => letter.get('raw'));
    for (const element of elements) expect(countOf(element, raws)).toBe(1);
  }

  /** Each entry ends once as a broken dead letter copying its fields byte for byte. */
  async function expectStreamDeadLetters(
    queue: string,
    entries: ReadonlyMap<string, Buffer[]>,
  ): Promise<void> {
    const letters = await streamBytes(client, keysOf(queue).dead);
    expect(letters).toHaveLength(entries.size);
    const sources = new Set<string>();
    for (const letter of letters) {
      const sourceId = letter.text('sourceId')!;
      sources.add(sourceId);
      expect(letter.text('reason')).toBe('broken');
      expect(letter.text('error')).toContain('not valid UTF-8');
      expect(sameBytes(copiedFields(letter), entries.get(sourceId)!)).toBe(true);
    }
    expect([...sources].sort()).toEqual([...entries.keys()].sort());
  }

  describe('list transport', () => {
    it('dead-letters every element that is not UTF-8 once, byte-identical, between valid messages handled once', async () => {
      const queue = uniqueQueue('bytes-list');
      const keys = listKeysOf(queue);
      const { CollectingWorker, handled, broken } = collector(queue, { transport: 'list' });
      const moduleRef = await boot([CollectingWorker], 'list');
      const sender = moduleRef.get(QueueSender);
      const bad = badListElements('a').map(([, element]) => element);
      const sent: string[] = [];
      for (const element of bad) {
        sent.push((await sender.send(queue, { before: sent.length })).id);
        await client.lpush(keys.list, element);
      }
      sent.push((await sender.send(queue, { last: true })).id);

      await waitFor(async () => (await client.xlen(keys.dead)) === bad.length, 'the dead letters');
      await waitFor(async () => (await stats(client, queue)).processed === sent.length, 'the valid messages');
      await expectListDeadLetters(queue, bad);
      expect(handled.sort()).toEqual([...sent].sort());
      expect(broken).toHaveLength(bad.length);
      await expect(inFlightCount(client, queue)).resolves.toBe(0);
      await expect(client.llen(keys.inflight(workerOf(moduleRef, queue).consumer))).resolves.toBe(0);
      await expect(client.llen(keys.list)).resolves.toBe(0);
      await expect(stats(client, queue)).resolves.toEqual({ broken: bad.length, processed: sent.length });

      // Still consuming, and nothing comes back.
      const { id } = await sender.send(queue, 'after');
      await waitFor(() => handled.includes(id), 'the next message');
      await expect(client.xlen(keys.dead)).resolves.toBe(bad.length);
      expect(handled).toHaveLength(sent.length + 1);
    });

    it('elements in flight when their worker stops are returned byte-identical and dead-lettered once by the next worker', async () => {
      const queue = uniqueQueue('bytes-list');
      const keys = listKeysOf(queue);
      const gate = deferred<void>();
      const options: WorkerOptions = { transport: 'list', shutdownTimeout: 300, claimIdle: 1_000 };
      const first = collector(queue, options, gate.promise);
      const firstRef = await boot([first.CollectingWorker], 'list');
      const { consumer } = workerOf(firstRef, queue);
      const sender = firstRef.get(QueueSender);
      const bad = badListElements('b').map(([, element]) => element);
      const sent: string[] = [];
      for (const element of bad) {
        sent.push((await sender.send(queue, { before: sent.length })).id);
        await client.lpush(keys.list, element);
      }
      await waitFor(() => first.broken.length === bad.length, '@OnBroken of every element');
      await waitFor(async () => (await stats(client, queue)).processed === sent.length, 'the valid messages');
      // Stopped while its @OnBroken hooks still run: their elements stay in its in-flight list.
      await firstRef.close();
      modules.splice(modules.indexOf(firstRef), 1);
      gate.resolve();
      const left = await client.lrangeBuffer(keys.inflight(consumer), 0, -1);
      expect(left).toHaveLength(bad.length);
      for (const element of bad) expect(countOf(element, left)).toBe(1);
      await expect(client.xlen(keys.dead)).resolves.toBe(0);

      // The next worker returns them once the first one's heartbeat expires, and dead-letters each once.
      const second = collector(queue, options);
      await boot([second.CollectingWorker], 'list');
      await waitFor(async () => (await client.xlen(keys.dead)) === bad.length, 'the dead letters');
      await expectListDeadLetters(queue, bad);
      expect(second.broken).toHaveLength(bad.length);
      expect([...first.handled, ...second.handled].sort()).toEqual([...sent].sort());
      await waitFor(async () => (await inFlightCount(client, queue)) === 0, 'empty in-flight lists');
      await expect(client.exists(keys.inflight(consumer))).resolves.toBe(0);
      await expect(client.llen(keys.list)).resolves.toBe(0);
    });

    it('returns such elements left in a restarted consumer’s and a dead consumer’s in-flight lists, and dead-letters each once', async () => {
      const queue = uniqueQueue('bytes-list');
      const keys = listKeysOf(queue);
      const own = badListElements('own').map(([, element]) => element);
      const orphaned = badListElements('dead').map(([, element]) => element);
      const valid = [listElement('1', { id: 'valid-own' }), listElement('2', { id: 'valid-dead' })];
      // An earlier run of the stable consumer 'pod-a', just restarted, and a consumer whose heartbeat expired.
      await client.lpush(keys.inflight('pod-a'), ...own, valid[0]);
      await client.set(keys.heartbeat('pod-a'), '1', 'PX', 60_000);
      await client.hset(keys.consumers, 'pod-a', keys.list);
      await client.lpush(keys.inflight('pod-gone'), ...orphaned, valid[1]);
      await client.hset(keys.consumers, 'pod-gone', keys.list);

      const { CollectingWorker, handled, broken } = collector(queue, {
        transport: 'list',
        consumer: 'pod-a',
        claimIdle: 1_000,
      });
      await boot([CollectingWorker], 'list');
      const bad = [...own, ...orphaned];
      await waitFor(async () => (await client.xlen(keys.dead)) === bad.length, 'the dead letters');
      await waitFor(() => handled.length === valid.length, 'the valid messages');
      await expectListDeadLetters(queue, bad);
      expect(broken).toHaveLength(bad.length);
      expect(handled.sort()).toEqual(['valid-dead', 'valid-own']);
      await waitFor(async () => (await client.llen(keys.inflight('pod-a'))) === 0, 'an empty in-flight list');
      await expect(client.exists(keys.inflight('pod-gone'))).resolves.toBe(0);
      await expect(client.llen(keys.list)).resolves.toBe(0);
    });
  });

  describe('stream transport', () => {
    it('dead-letters every entry with a field that is not UTF-8 once, byte-identical, between valid messages handled once', async () => {
      const queue = uniqueQueue('bytes-stream');
      const keys = keysOf(queue);
      const { CollectingWorker, handled, broken } = collector(queue, {});
      const moduleRef = await boot([CollectingWorker], 'stream');
      const sender = moduleRef.get(QueueSender);
      const bad = new Map<string, Buffer[]>();
      const sent: string[] = [];
      for (const [, fields] of badStreamEntries('a')) {
        sent.push((await sender.send(queue, { before: sent.length })).id);
        bad.set((await client.xadd(keys.stream, '*', ...fields))!, fields);
      }
      // Valid UTF-8 holding U+FFFD itself is a normal message.
      await client.xadd(keys.stream, '*', ...envelopeBytes('replacement-char', [['payload', '"\uFFFD"']]));
      sent.push('replacement-char');

      await waitFor(async () => (await client.xlen(keys.dead)) === bad.size, 'the dead letters');
      await waitFor(async () => (await stats(client, queue)).processed === sent.length, 'the valid messages');
      await expectStreamDeadLetters(queue, bad);
      expect(handled.sort()).toEqual([...sent].sort());
      expect(broken).toHaveLength(bad.size);
      await expect(pendingCount(client, queue)).resolves.toBe(0);
      await expect(stats(client, queue)).resolves.toEqual({ broken: bad.size, processed: sent.length });

      const { id } = await sender.send(queue, 'after');
      await waitFor(() => handled.includes(id), 'the next message');
      await expect(client.xlen(keys.dead)).resolves.toBe(bad.size);
      expect(handled).toHaveLength(sent.length + 1);
    });

    it('entries left pending by a stopped worker are reclaimed and dead-lettered once, byte-identical', async () => {
      const queue = uniqueQueue('bytes-stream');
      const keys = keysOf(queue);
      const gate = deferred<void>();
      const first = collector(queue, { shutdownTimeout: 300, claimIdle: 1_000 }, gate.promise);
      const firstRef = await boot([first.CollectingWorker], 'stream');
      const bad = new Map<string, Buffer[]>();
      for (const [, fields] of badStreamEntries('b')) {
        bad.set((await client.xadd(keys.stream, '*', ...fields))!, fields);
      }
      await waitFor(() => first.broken.length === bad.size, '@OnBroken of every entry');
      await firstRef.close(); // the @OnBroken hooks still run: their entries stay pending
      modules.splice(modules.indexOf(firstRef), 1);
      gate.resolve();
      await expect(pendingCount(client, queue)).resolves.toBe(bad.size);

      const second = collector(queue, { claimIdle: 1_000 });
      await boot([second.CollectingWorker], 'stream');
      await waitFor(async () => (await client.xlen(keys.dead)) === bad.size, 'the dead letters');
      await expectStreamDeadLetters(queue, bad);
      expect(second.broken).toHaveLength(bad.size);
      expect([...first.handled, ...second.handled]).toEqual([]);
      await waitFor(async () => (await pendingCount(client, queue)) === 0, 'nothing pending');
    });
  });

  describe('administration', () => {
    it('reads dead letters holding bytes that are not UTF-8 without failing, and never redrives them', async () => {
      const queue = uniqueQueue('bytes-admin');
      const streamKeys = keysOf(queue);
      const listKeys = listKeysOf(queue);
      const raw = bytes('{"v":"1","id":"x","payload":"', Buffer.from([0xff]), '"}');
      const envelope = envelopeBytes('not-text', [['payload', bytes('"', Buffer.from([0xfe]), '"')]]);
      await client.xadd(
        listKeys.dead,
        '*',
        'raw',
        raw,
        'reason',
        'broken',
        'error',
        'e',
        'sourceId',
        listKeys.list,
      );
      await client.xadd(
        streamKeys.dead,
        '*',
        ...envelope,
        'reason',
        'broken',
        'error',
        'e',
        'sourceId',
        '1-1',
      );
      const valid = envelopeBytes('text', []);
      await client.xadd(streamKeys.dead, '*', ...valid, 'reason', 'dead', 'error', 'e', 'sourceId', '1-2');
      const moduleRef = await boot([], 'stream');
      const admin = moduleRef.get(QueueAdmin);

      const letters = await admin.deadLetters(queue);
      expect(letters.map((letter) => [letter.id, letter.reason, letter.redrivable])).toEqual([
        [undefined, 'broken', false],
        ['not-text', 'broken', false],
        ['text', 'dead', true],
      ]);
      expect(letters[0].raw?.raw).toContain('\uFFFD');
      await expect(admin.redrive(queue, { count: 10 })).resolves.toBe(1);
      await expect(admin.redrive(queue, { ids: ['not-text'] })).resolves.toBe(0);
      await expect(admin.redrive(queue, { ids: ['not-text'], transport: 'list' })).resolves.toBe(0);
      const left = await streamBytes(client, streamKeys.dead);
      expect(left).toHaveLength(2);
      expect(left[0].get('raw')!.equals(raw)).toBe(true);
      expect(sameBytes(copiedFields(left[1]), envelope)).toBe(true);
    });
  });
});
