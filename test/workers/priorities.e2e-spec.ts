import { jest } from '@jest/globals';
import {
  InvalidSendOptionsError,
  OnBroken,
  OnDead,
  OnMessage,
  QueueScheduler,
  QueueWorker,
  type BrokenMessage,
  type QueueMessage,
  type SendOptions,
  type ValkeyClient,
  type WorkerOptions,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { ChildWorker } from './child-worker.js';
import {
  TRANSPORTS,
  useWorkerApp,
  type RawMessage,
  type Transport,
  type WorkerApp,
} from './transport-kit.js';
import { keysOf, records, uniqueQueue, waitFor } from './worker-test-kit.js';

/** Child processes load the library from source (TypeScript transpiled on the fly): allow for slow starts. */
jest.setTimeout(120_000);

const apps = useWorkerApp();

/** One handled message, in the order handlers started across every instance. */
interface Handled {
  index: number;
  priority: number;
  attempt: number;
  entryId: string;
}

/** The key holding priority `priority` of the transport's queue key (docs/key-layout.md, "Priorities"). */
const priorityKey = (transport: Transport, queue: string, priority: number): string => {
  const base = transport.name === 'stream' ? keysOf(queue).stream : `{vq:${queue}}:list`;
  return priority === 0 ? base : `${base}:p${priority}`;
};

/** A worker class (not started until told) recording what it handles into `sink`, in handling order. */
function recorder(queue: string, options: WorkerOptions, sink: Handled[]) {
  @QueueWorker(queue, { autoStart: false, ...options })
  class RecordingWorker {
    @OnMessage() async handle(message: QueueMessage<number>): Promise<void> {
      sink.push({
        index: message.payload,
        priority: message.priority,
        attempt: message.attempt,
        entryId: message.entryId,
      });
    }
  }
  return RecordingWorker;
}

/**
 * Positions where a message was handled before one of a higher priority that was not fetched yet:
 * with `window` messages held at once (instances x concurrency), a later message may overtake at
 * most `window - 1` positions, so any higher priority `window` or more positions later is a violation.
 */
function priorityInversions(priorities: readonly number[], window: number): number[] {
  const laterMax = new Array<number>(priorities.length + 1).fill(-1);
  for (let index = priorities.length - 1; index >= 0; index -= 1)
    laterMax[index] = Math.max(priorities[index], laterMax[index + 1]);
  const violations: number[] = [];
  for (let index = 0; index < priorities.length; index += 1) {
    const after = laterMax[Math.min(priorities.length, index + window)];
    if (after > priorities[index]) violations.push(index);
  }
  return violations;
}

/** Sends `priorities[i]` with payload i, in order (concurrent sends keep their call order). */
async function sendAll(app: WorkerApp, queue: string, priorities: readonly number[]): Promise<void> {
  await Promise.all(priorities.map((priority, index) => app.sender.send(queue, index, { priority })));
}

const randomPriorities = (count: number): number[] =>
  Array.from({ length: count }, () => Math.floor(Math.random() * 11));

/** Per priority, how many of `priorities` have it (only those present). */
const tally = (priorities: readonly number[]): Record<number, number> => {
  const counts: Record<number, number> = {};
  for (const priority of priorities) counts[priority] = (counts[priority] ?? 0) + 1;
  return counts;
};

describe.each(TRANSPORTS)('message priorities on the $name transport (real Valkey)', (transport) => {
  const newQueue = (): string => uniqueQueue(`${transport.name}-prio`);

  it("writes priority 0 to the queue's own key and a raised priority to a key of its own; bad ones write nothing", async () => {
    const queue = newQueue();
    const { sender, client } = await apps.boot([], transport.app);
    await sender.send(queue, 'plain');
    await sender.send(queue, 'zero', { priority: 0 });
    const { id } = await sender.send(queue, 'urgent', { priority: 7 });
    // Only the queue's key and the priority 7 key exist: no key for an unused priority.
    const keys = Array.from({ length: 11 }, (_, priority) => priorityKey(transport, queue, priority));
    const exists = await Promise.all(keys.map((key) => client.exists(key)));
    expect(exists).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    if (transport.name === 'stream') {
      const plain = await records(client, keys[0]);
      expect(plain.map((record) => 'priority' in record)).toEqual([false, false]);
      await expect(records(client, keys[7])).resolves.toEqual([
        expect.objectContaining({ id, priority: '7' }),
      ]);
    } else {
      const plain = await client.lrange(keys[0], 0, -1);
      expect(plain.map((element) => 'priority' in JSON.parse(element))).toEqual([false, false]);
      const [element] = await client.lrange(keys[7], 0, -1);
      expect(JSON.parse(element)).toMatchObject({ id, priority: 7 });
    }

    const other = newQueue();
    for (const priority of [-1, 11, 1.5, Number.NaN, '3', null]) {
      const send = sender.send(other, 'x', { priority } as unknown as SendOptions);
      await expect(send).rejects.toThrow(InvalidSendOptionsError);
      await expect(send).rejects.toMatchObject({ option: 'priority' });
      await expect(
        sender.sendBatch(other, ['x'], { priority } as unknown as SendOptions),
      ).rejects.toMatchObject({
        option: 'priority',
      });
    }
    const written = await client.keys(`{vq:${other}}*`);
    expect(written).toEqual([]);
  });

  it('drains 2,000 messages of random priorities highest first, FIFO within a priority (concurrency 1)', async () => {
    const queue = newQueue();
    const handled: Handled[] = [];
    const app = await apps.boot(
      [recorder(queue, { ...transport.worker, concurrency: 1 }, handled)],
      transport.app,
    );
    await app.admin.pause(queue);
    const priorities = randomPriorities(2_000);
    await sendAll(app, queue, priorities);

    const stats = await app.admin.stats(queue);
    expect(stats.waitingByPriority).toEqual(tally(priorities));
    expect(stats.length).toBe(2_000);
    await expect(app.sender.size(queue)).resolves.toBe(2_000);

    await app.worker(queue).start();
    await app.admin.resume(queue);
    await waitFor(() => handled.length === 2_000, 'every message', 60_000);

    // One message fetched at a time: the handled sequence is exactly non-increasing in priority.
    expect(
      priorityInversions(
        handled.map(({ priority }) => priority),
        1,
      ),
    ).toEqual([]);
    expect(handled.map(({ priority }) => priority)).toEqual(handled.map(({ index }) => priorities[index]));
    // Within one priority, first in first out.
    for (let priority = 0; priority <= 10; priority += 1) {
      const order = handled.filter((message) => message.priority === priority).map(({ index }) => index);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    await waitFor(async () => (await app.admin.stats(queue)).length === 0, 'nothing waiting');
    await expect(app.admin.stats(queue)).resolves.toMatchObject({ waitingByPriority: {}, pending: 0 });
  });

  it('keeps the order across 3 worker instances, but for what the others had already fetched', async () => {
    const queue = newQueue();
    const handled: Handled[] = [];
    const instances = await Promise.all(
      [1, 2, 3].map(() =>
        apps.boot([recorder(queue, { ...transport.worker, concurrency: 1 }, handled)], transport.app),
      ),
    );
    const [first] = instances;
    await first.admin.pause(queue);
    const priorities = randomPriorities(2_000);
    await sendAll(first, queue, priorities);
    await Promise.all(instances.map((app) => app.worker(queue).start()));
    await first.admin.resume(queue);
    await waitFor(() => handled.length === 2_000, 'every message', 60_000);

    expect(new Set(handled.map(({ index }) => index)).size).toBe(2_000);
    // Three messages held at once: one may be overtaken by the (at most two) the others hold.
    expect(
      priorityInversions(
        handled.map(({ priority }) => priority),
        3,
      ),
    ).toEqual([]);
  });

  it('weighted: under a 10:1 flood of priority 10, priority 0 keeps a share near 1 / (1 + 11)', async () => {
    const queue = newQueue();
    const handled: Handled[] = [];
    const worker = { ...transport.worker, concurrency: 1, priorityPolicy: { weighted: true } } as const;
    const app = await apps.boot([recorder(queue, worker, handled)], transport.app);
    await app.admin.pause(queue);
    const flood = [...Array.from({ length: 1_100 }, () => 10), ...Array.from({ length: 110 }, () => 0)];
    await sendAll(app, queue, flood);
    await app.worker(queue).start();
    await app.admin.resume(queue);
    await waitFor(() => handled.length === flood.length, 'every message', 60_000);

    // While both are waiting (the first 600 reads), priority 0 gets (0 + 1) / ((0 + 1) + (10 + 1)).
    const share = handled.slice(0, 600).filter(({ priority }) => priority === 0).length / 600;
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.14);
    // FIFO within each priority still holds.
    const lows = handled.filter(({ priority }) => priority === 0).map(({ index }) => index);
    expect(lows).toEqual([...lows].sort((a, b) => a - b));
  });

  it('keeps the priority of delayed, `at`, retried and redriven messages, and of schedule ticks', async () => {
    const queue = newQueue();
    const seen: { payload: string; priority: number; attempt: number; entryId: string }[] = [];
    const redriven = deferred<void>();
    let failDead = true;
    @QueueWorker(queue, { ...transport.worker, maxRetries: 1, backoff: 20 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage<string>): Promise<void> {
        const { payload, priority, attempt, entryId } = message;
        seen.push({ payload, priority, attempt, entryId });
        if (payload === 'retried' && attempt === 1) throw new Error('once');
        if (payload === 'dead' && failDead) throw new Error('always');
        if (payload === 'dead') redriven.resolve();
      }
    }
    const app = await apps.boot([Worker], { ...transport.app, scheduler: { pollInterval: 100 } });
    await app.sender.send(queue, 'delayed', { priority: 4, delay: 50 });
    await app.sender.send(queue, 'at', { priority: 9, at: new Date(Date.now() + 80) });
    await app.sender.send(queue, 'retried', { priority: 6 });
    await app.sender.send(queue, 'dead', { priority: 3 });
    await waitFor(async () => (await app.admin.stats(queue)).deadLetters === 1, 'the dead letter');
    await waitFor(() => seen.length >= 6, 'delayed, at and retried messages');

    const [letter] = await app.admin.deadLetters(queue);
    expect(letter.priority).toBe(3);
    failDead = false;
    await expect(app.admin.redrive(queue)).resolves.toBe(1);
    await redriven.promise;

    const scheduler = app.moduleRef.get(QueueScheduler);
    const name = `prio-${queue}`;
    const tick = deferred<number>();
    await scheduler.upsert({
      name,
      every: 100,
      queue,
      transport: transport.name,
      payload: 'tick',
      priority: 8,
    });
    await expect(scheduler.list()).resolves.toContainEqual(expect.objectContaining({ name, priority: 8 }));
    try {
      await waitFor(() => seen.some(({ payload }) => payload === 'tick'), 'a schedule tick');
      tick.resolve(seen.find(({ payload }) => payload === 'tick')!.priority);
    } finally {
      await scheduler.remove(name);
    }
    await expect(tick.promise).resolves.toBe(8);

    const expected: Record<string, number> = { delayed: 4, at: 9, retried: 6, dead: 3, tick: 8 };
    for (const { payload, priority, entryId } of seen) {
      expect({ payload, priority }).toEqual({ payload, priority: expected[payload] });
      // Each came through its priority's own stream (list elements carry no stream entry id).
      if (transport.name === 'stream') expect(entryId).toMatch(new RegExp(`@p${expected[payload]}$`));
    }
    expect(seen.filter(({ payload }) => payload === 'retried').map(({ attempt }) => attempt)).toEqual([1, 2]);
    expect(seen.filter(({ payload }) => payload === 'dead').map(({ attempt }) => attempt)).toEqual([1, 2, 1]);
    await expect(
      scheduler.upsert({ name: `${name}-bad`, every: 100, queue, payload: 1, priority: 11 }),
    ).rejects.toThrow(/priority/);
  });

  it('handles a foreign message with a malformed priority as broken, and goes on', async () => {
    const queue = newQueue();
    const broken = deferred<BrokenMessage>();
    const handled = deferred<QueueMessage>();
    @QueueWorker(queue, transport.worker)
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.resolve(message);
      }
      @OnBroken() async broken(message: BrokenMessage): Promise<void> {
        broken.resolve(message);
      }
      @OnDead() async dead(): Promise<void> {}
    }
    const { client } = await apps.boot([Worker], transport.app);
    const withPriority = (raw: RawMessage, priority: unknown): RawMessage =>
      typeof raw === 'string'
        ? JSON.stringify({ ...(JSON.parse(raw) as object), priority })
        : [...raw, 'priority', String(priority)];
    await transport.push(
      client,
      queue,
      withPriority(transport.envelope('1', { id: 'bad' }), 'high'),
      withPriority(transport.envelope('2', { id: 'good' }), 2),
    );
    await expect(broken.promise).resolves.toMatchObject({ id: 'bad', error: expect.objectContaining({}) });
    expect((await broken.promise).error.message).toMatch(/priority must be a whole number from 0 to 10/);
    await expect(handled.promise).resolves.toMatchObject({ id: 'good', priority: 2 });
  });
});

describe.each(TRANSPORTS)(
  'priorities through crash recovery on the $name transport (child processes)',
  (transport) => {
    const children: ChildWorker[] = [];
    afterEach(async () => {
      for (const child of children.splice(0)) {
        child.kill('SIGKILL');
        await child.exited;
      }
    });

    it("a SIGKILLed worker's messages are reclaimed with their priority", async () => {
      const queue = uniqueQueue(`${transport.name}-prio-kill`);
      const handled: Handled[] = [];
      const app = await apps.boot(
        [recorder(queue, { ...transport.worker, concurrency: 20, claimIdle: 500 }, handled)],
        transport.app,
      );
      const total = 10;
      await sendAll(
        app,
        queue,
        Array.from({ length: total }, () => 7),
      );

      const started: (number | undefined)[] = [];
      const allStarted = deferred<void>();
      const child = new ChildWorker(
        {
          url: apps.valkey().url,
          queue,
          worker: { ...transport.worker, concurrency: total, claimIdle: 500 },
          handlerMs: 600_000, // never finishes: killed mid-handler
        },
        (report) => {
          if (report.type !== 'start') return;
          started.push(report.priority);
          if (started.length === total) allStarted.resolve();
        },
      );
      children.push(child);
      await child.ready.promise;
      await allStarted.promise;
      expect(started).toEqual(Array(total).fill(7));
      child.kill('SIGKILL');
      await child.exited;

      await app.worker(queue).start();
      await waitFor(() => handled.length === total, 'every reclaimed message', 30_000);
      expect(handled.map(({ priority, attempt }) => ({ priority, attempt }))).toEqual(
        Array(total).fill({ priority: 7, attempt: 2 }),
      );
      if (transport.name === 'stream') for (const { entryId } of handled) expect(entryId).toMatch(/@p7$/);
      // Nothing was moved to the queue's own key on the way back.
      const client: ValkeyClient = app.client;
      await expect(client.exists(priorityKey(transport, queue, 0))).resolves.toBe(
        transport.name === 'stream' ? 1 : 0, // the stream holds the group; the list was never written
      );
    });
  },
);
