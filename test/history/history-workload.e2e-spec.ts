import type { TestingModule } from '@nestjs/testing';
import {
  OnBroken,
  OnDead,
  OnMessage,
  QueueAdmin,
  QueueHistory,
  QueueScheduler,
  QueueSender,
  QueueWorker,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { useValkey } from '../utils/use-valkey.js';
import { addRaw, bootWorkers, clientOf, envelopeFields, uniqueQueue } from '../workers/worker-test-kit.js';
import { historyOf, timeline, uniqueSchema, usePostgres } from './history-kit.js';

describe('task history: a scripted workload, then search and get (real Valkey, real PostgreSQL)', () => {
  const valkey = useValkey();
  const postgres = usePostgres();
  const queue = uniqueQueue('history');
  const other = uniqueQueue('history-other');
  let moduleRef: TestingModule;
  let history: QueueHistory;
  let redriven = false;
  let tickId = '';
  const expected: Record<string, string> = {};

  @QueueWorker(queue, { maxRetries: 1, backoff: 10, claimIdle: 60_000 })
  class WorkloadWorker {
    @OnMessage() async handle(message: QueueMessage<{ kind: string }>): Promise<void> {
      const { kind } = message.payload;
      if (kind === 'flaky' && message.attempt === 1) throw new Error('flaky first try');
      if (kind === 'doomed' && !redriven) throw new Error(`doomed attempt ${message.attempt}`);
    }
    @OnDead() async dead(): Promise<void> {}
    @OnBroken() async broken(): Promise<void> {}
  }

  @QueueWorker(other)
  class OtherWorker {
    @OnMessage() async handle(): Promise<void> {}
  }

  const ordered = uniqueQueue('history-ordered');
  @QueueWorker(ordered, { maxRetries: 1, backoff: 10, claimIdle: 60_000 })
  class OrderedWorker {
    @OnMessage() async handle(message: QueueMessage<{ kind: string }>): Promise<void> {
      const { kind } = message.payload;
      if (kind === 'flaky' && message.attempt === 1) throw new Error('flaky first try');
      if (kind === 'doomed') throw new Error(`doomed attempt ${message.attempt}`);
    }
    @OnDead() async dead(): Promise<void> {}
  }

  beforeAll(async () => {
    moduleRef = await bootWorkers(valkey().url, [WorkloadWorker, OtherWorker, OrderedWorker], {
      connection: valkey().connection,
      history: { postgres: { connectionString: postgres().url }, schema: uniqueSchema(), payloads: 'full' },
    });
    history = moduleRef.get(QueueHistory);
  });

  afterAll(async () => {
    await moduleRef?.close();
  });

  it('records every kind of life a message can have, with its timeline', async () => {
    const sender = moduleRef.get(QueueSender);
    const ok = await sender.send(queue, { kind: 'ok' }, { labels: { tenant: 'acme', kind: 'ok' } });
    const flaky = await sender.send(queue, { kind: 'flaky' }, { labels: { tenant: 'acme' } });
    const doomed = await sender.send(queue, { kind: 'doomed' }, { labels: { tenant: 'globex' } });
    const later = await sender.send(queue, { kind: 'ok' }, { delay: 50 });
    const first = await sender.send(queue, { kind: 'ok' }, { dedupKey: 'order-42' });
    const duplicate = await sender.send(queue, { kind: 'ok' }, { dedupKey: 'order-42' });
    const elsewhere = await sender.send(other, { kind: 'ok' });
    const client = clientOf(moduleRef);
    const brokenEntry = await addRaw(client, queue, ['v', '1', 'id', 'broken-1', 'payload', '{not json', 'headers', '{}', 'createdAt', '1', 'attempt', '1']); // prettier-ignore
    const expiredFields = envelopeFields('{"kind":"ok"}', { expiresAt: String(Date.now() - 1) });
    const expiredId = expiredFields[3];
    await addRaw(client, queue, expiredFields);
    await moduleRef
      .get(QueueScheduler)
      .upsert({ name: `tick-${queue}`, every: 100, queue, payload: { kind: 'ok' }, limit: 1 });

    expect(duplicate).toMatchObject({ deduplicated: true, id: first.id });

    const okRecord = await historyOf(moduleRef, ok.id, (r) => r.state === 'succeeded', 'ok succeeded');
    expect(okRecord).toMatchObject({
      queue,
      state: 'succeeded',
      attempts: 1,
      labels: { tenant: 'acme', kind: 'ok' },
    });
    expect(timeline(okRecord)).toEqual(['sent', 'started', 'succeeded']);
    expect(okRecord.events[1].consumer).toEqual(expect.any(String));
    expect(okRecord.durationMs).toBeGreaterThanOrEqual(0);
    expect(okRecord.payload).toBe('{"kind":"ok"}');

    const flakyRecord = await historyOf(
      moduleRef,
      flaky.id,
      (r) => r.state === 'succeeded',
      'flaky succeeded',
    );
    expect(timeline(flakyRecord)).toEqual(['sent', 'started', 'retried', 'promoted', 'started', 'succeeded']);
    expect(flakyRecord.attempts).toBe(2);

    const doomedRecord = await historyOf(moduleRef, doomed.id, (r) => r.state === 'dead', 'doomed dead');
    expect(timeline(doomedRecord)).toEqual(['sent', 'started', 'retried', 'promoted', 'started', 'dead']);
    expect(doomedRecord).toMatchObject({ attempts: 2, error: 'doomed attempt 2' });

    const laterRecord = await historyOf(
      moduleRef,
      later.id,
      (r) => r.state === 'succeeded',
      'delayed succeeded',
    );
    expect(timeline(laterRecord)).toEqual(['delayed', 'promoted', 'started', 'succeeded']);

    const firstRecord = await historyOf(
      moduleRef,
      first.id,
      (r) => timeline(r).includes('deduplicated') && r.state === 'succeeded',
      'dedup',
    );
    expect(timeline(firstRecord).sort()).toEqual(['deduplicated', 'sent', 'started', 'succeeded']);

    const broken = await historyOf(moduleRef, 'broken-1', (r) => r.state === 'broken', 'broken');
    expect(broken.events.at(-1)).toMatchObject({
      type: 'broken',
      detail: { sourceId: brokenEntry, raw: { payload: '{not json', id: 'broken-1' } },
    });

    const expired = await historyOf(moduleRef, expiredId, (r) => r.state === 'expired', 'expired');
    expect(timeline(expired)).toEqual(['started', 'expired']);
    expect(expired.error).toMatch(/^expired at /);

    const known = new Set([ok.id, flaky.id, doomed.id, later.id, first.id, 'broken-1', expiredId]);
    const tickPage = await waitForSearch(
      () => history.search({ queue }),
      (page) => page.items.some((item) => !known.has(item.id) && item.state === 'succeeded'),
    );
    const tick = tickPage.items.find((item) => !known.has(item.id))!;
    expect(timeline((await history.get(tick.id))!)).toEqual(['scheduled', 'started', 'succeeded']);
    tickId = tick.id;

    // Redrive the dead one: it succeeds this time.
    redriven = true;
    await expect(moduleRef.get(QueueAdmin).redrive(queue, { ids: [doomed.id] })).resolves.toBe(1);
    const again = await historyOf(moduleRef, doomed.id, (r) => r.state === 'succeeded', 'redriven succeeded');
    expect(timeline(again)).toEqual([
      'sent',
      'started',
      'retried',
      'promoted',
      'started',
      'dead',
      'redriven',
      'started',
      'succeeded',
    ]);

    await historyOf(moduleRef, elsewhere.id, (r) => r.state === 'succeeded', 'other queue');
    for (const id of [ok.id, flaky.id, doomed.id, later.id, first.id, tickId]) expected[id] = 'succeeded';
    Object.assign(expected, { 'broken-1': 'broken', [expiredId]: 'expired' });
  });

  it('search filters by queue, state, labels, text and time', async () => {
    const all = await history.search({ queue, limit: 1000 });
    expect(Object.fromEntries(all.items.map((item) => [item.id, item.state]))).toEqual(expected);
    expect(all.nextCursor).toBeUndefined();
    expect((await history.search({ queue: other })).items).toHaveLength(1);
    const dead = await history.search({ queue, state: ['broken', 'expired'] });
    expect(dead.items.map((item) => item.state).sort()).toEqual(['broken', 'expired']);
    const acme = await history.search({ queue, labels: { tenant: 'acme' } });
    expect(acme.items).toHaveLength(2);
    const globex = await history.search({ labels: { tenant: 'globex' }, text: 'DOOMED attempt' });
    expect(globex.items).toHaveLength(1);
    expect((await history.search({ queue, from: new Date(Date.now() + 60_000) })).items).toHaveLength(0);
    expect((await history.search({ queue, to: new Date(0) })).items).toHaveLength(0);
  });

  it('rejects bad arguments with typed errors', async () => {
    await expect(history.search({ limit: 0 })).rejects.toMatchObject({
      code: 'VQ_INVALID_ADMIN_ARGUMENT',
      argument: 'limit',
    });
    await expect(history.search({ state: 'lost' as never })).rejects.toMatchObject({ argument: 'state' });
    await expect(history.search({ cursor: 'nonsense' })).rejects.toMatchObject({ argument: 'cursor' });
    await expect(history.search({ from: new Date('x') })).rejects.toMatchObject({ argument: 'from' });
    await expect(history.search({ labels: { a: 1 } as never })).rejects.toMatchObject({ argument: 'labels' });
    await expect(history.get('')).rejects.toMatchObject({ argument: 'messageId' });
    await expect(history.get('no-such-message')).resolves.toBeUndefined();
  });

  it('records the lives of ordered messages: sends, delays, starts, retries, successes and dead letters', async () => {
    const sender = moduleRef.get(QueueSender);
    const flaky = await sender.send(
      ordered,
      { kind: 'flaky' },
      { orderingKey: 'account:1', labels: { tenant: 'acme' } },
    );
    const next = await sender.send(ordered, { kind: 'ok' }, { orderingKey: 'account:1' });
    const doomed = await sender.send(ordered, { kind: 'doomed' }, { orderingKey: 'account:2' });
    const later = await sender.send(ordered, { kind: 'ok' }, { orderingKey: 'account:3', delay: 50 });

    // A retried head stays its key's head: no promotion, it runs again when due.
    const flakyRecord = await historyOf(moduleRef, flaky.id, (r) => r.state === 'succeeded', 'flaky');
    expect(timeline(flakyRecord)).toEqual(['sent', 'started', 'retried', 'started', 'succeeded']);
    expect(flakyRecord).toMatchObject({ queue: ordered, labels: { tenant: 'acme' } });
    const nextRecord = await historyOf(moduleRef, next.id, (r) => r.state === 'succeeded', 'next');
    expect(timeline(nextRecord)).toEqual(['sent', 'started', 'succeeded']);
    const doomedRecord = await historyOf(moduleRef, doomed.id, (r) => r.state === 'dead', 'doomed');
    expect(timeline(doomedRecord)).toEqual(['sent', 'started', 'retried', 'started', 'dead']);
    expect(doomedRecord).toMatchObject({ attempts: 2, error: 'doomed attempt 2' });
    const laterRecord = await historyOf(moduleRef, later.id, (r) => r.state === 'succeeded', 'later');
    expect(timeline(laterRecord)).toEqual(['delayed', 'started', 'succeeded']);
  });
});

async function waitForSearch<T>(run: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await run();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('task history on the list transport (real Valkey, real PostgreSQL)', () => {
  const valkey = useValkey();
  const postgres = usePostgres();
  const queue = uniqueQueue('history-list');
  let moduleRef: TestingModule;

  @QueueWorker(queue, { transport: 'list', maxRetries: 1, backoff: 10 })
  class ListWorker {
    @OnMessage() async handle(message: QueueMessage<{ kind: string }>): Promise<void> {
      if (message.payload.kind === 'flaky' && message.attempt === 1) throw new Error('flaky first try');
      if (message.payload.kind === 'doomed') throw new Error(`doomed attempt ${message.attempt}`);
    }
    @OnDead() async dead(): Promise<void> {}
  }

  beforeAll(async () => {
    moduleRef = await bootWorkers(valkey().url, [ListWorker], {
      connection: valkey().connection,
      sender: { transport: 'list' },
      history: {
        postgres: { connectionString: postgres().url },
        schema: uniqueSchema(),
        payloads: 'truncated',
      },
    });
  });

  afterAll(async () => {
    await moduleRef?.close();
  });

  it('records sends, starts, retries, delays, dead letters and successes of list messages', async () => {
    const sender = moduleRef.get(QueueSender);
    const ok = await sender.send(queue, { kind: 'ok' }, { labels: { tenant: 'acme' } });
    const flaky = await sender.send(queue, { kind: 'flaky' });
    const doomed = await sender.send(queue, { kind: 'doomed' });
    const later = await sender.send(queue, { kind: 'ok' }, { delay: 50 });
    const [batched] = await sender.sendBatch(queue, [{ kind: 'ok', text: 'x'.repeat(2_000) }]);

    const okRecord = await historyOf(moduleRef, ok.id, (r) => r.state === 'succeeded', 'ok');
    expect(timeline(okRecord)).toEqual(['sent', 'started', 'succeeded']);
    expect(okRecord.labels).toEqual({ tenant: 'acme' });
    const flakyRecord = await historyOf(moduleRef, flaky.id, (r) => r.state === 'succeeded', 'flaky');
    expect(timeline(flakyRecord)).toEqual(['sent', 'started', 'retried', 'promoted', 'started', 'succeeded']);
    const doomedRecord = await historyOf(moduleRef, doomed.id, (r) => r.state === 'dead', 'doomed');
    expect(timeline(doomedRecord)).toEqual(['sent', 'started', 'retried', 'promoted', 'started', 'dead']);
    expect(doomedRecord).toMatchObject({ attempts: 2, error: 'doomed attempt 2' });
    const laterRecord = await historyOf(moduleRef, later.id, (r) => r.state === 'succeeded', 'later');
    expect(timeline(laterRecord)).toEqual(['delayed', 'promoted', 'started', 'succeeded']);
    const batchRecord = await historyOf(moduleRef, batched.id, (r) => r.state === 'succeeded', 'batch');
    expect(timeline(batchRecord)).toEqual(['sent', 'started', 'succeeded']);
    expect(batchRecord.payload).toBe(`{"kind":"ok","text":"${'x'.repeat(1024 - 21)}`); // the first 1 KiB
    expect(okRecord.payload).toBe('{"kind":"ok"}');
  });
});
