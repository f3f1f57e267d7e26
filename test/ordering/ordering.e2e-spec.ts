import { jest } from '@jest/globals';
import {
  InvalidSendOptionsError,
  NotSupportedError,
  OnDead,
  OnMessage,
  QueueWorker,
  type DeadMessage,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:net';
import { onCluster } from '../utils/topology.js';
import { useWorkerApp } from '../workers/transport-kit.js';
import { keysOf, stats, uniqueQueue, waitFor } from '../workers/worker-test-kit.js';
import { orderedKeysOf, orderProblems, runsByKey } from './ordering-kit.js';

jest.setTimeout(60_000);

/** A worker recording start/end of every run in an in-memory ledger (one process: a shared clock). */
function ledgerWorker(
  queue: string,
  options: Record<string, unknown>,
  behave: (message: QueueMessage<{ key: string; seq: number }>) => Promise<void> = () =>
    sleep(Math.random() * 5),
) {
  const ledger: string[] = [];
  const dead: DeadMessage[] = [];
  @QueueWorker(queue, options)
  class LedgerWorker {
    @OnMessage() async handle(message: QueueMessage<{ key: string; seq: number }>): Promise<void> {
      const { key, seq } = message.payload;
      ledger.push(`start|${key}|${seq}|me|${performance.now()}`);
      let ok = '1';
      try {
        await behave(message);
      } catch (error) {
        ok = '0';
        throw error;
      } finally {
        ledger.push(`end|${key}|${seq}|me|${performance.now()}|${ok}`);
      }
    }
    @OnDead() async onDead(message: DeadMessage): Promise<void> {
      dead.push(message);
    }
  }
  return { LedgerWorker, ledger, dead };
}

describe('per-key ordering (real Valkey)', () => {
  const apps = useWorkerApp();

  it('runs one message per key at a time, in send order, keys in parallel; nothing is left behind', async () => {
    const queue = uniqueQueue('ordered');
    const { LedgerWorker, ledger } = ledgerWorker(queue, { concurrency: 8 });
    const { sender, client } = await apps.boot([LedgerWorker]);
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const perKey = 20;
    await Promise.all(
      keys.map(async (key) => {
        for (let seq = 0; seq < perKey; seq++) await sender.send(queue, { key, seq }, { orderingKey: key });
      }),
    );
    await waitFor(async () => (await stats(client, queue)).processed === keys.length * perKey, 'every ack');
    const runs = runsByKey(ledger);
    for (const key of keys) expect(orderProblems(runs.get(key) ?? [], perKey)).toEqual([]);
    // Keys ran in parallel: some run of one key overlapped a run of another.
    const all = [...runs.values()].flat().sort((a, b) => a.startAt - b.startAt);
    expect(all.some((run, index) => index > 0 && all[index - 1].endAt! > run.startAt)).toBe(true);
    // Idle keys cost nothing: no list, no lease, no ready entry is left.
    const ordered = orderedKeysOf(queue);
    const left = await client.exists(
      ordered.ready,
      ordered.leases,
      ordered.holders,
      ordered.takes,
      ...keys.map(ordered.list),
    );
    expect(left).toBe(0);
    await expect(client.xlen(keysOf(queue).stream)).resolves.toBe(0); // ordered messages never enter the stream
  });

  it('sendBatch keeps the order within a batch; a failing message blocks its key until it succeeds', async () => {
    const queue = uniqueQueue('ordered-retry');
    const failures = new Map<number, number>([[3, 2]]); // #3 fails twice
    const { LedgerWorker, ledger } = ledgerWorker(
      queue,
      { concurrency: 4, backoff: 30, maxRetries: 5 },
      async (message) => {
        const left = failures.get(message.payload.seq) ?? 0;
        if (left > 0) {
          failures.set(message.payload.seq, left - 1);
          throw new Error('transient');
        }
      },
    );
    const { sender, client } = await apps.boot([LedgerWorker]);
    const payloads = Array.from({ length: 8 }, (_, seq) => ({ key: 'k', seq }));
    await sender.sendBatch(queue, payloads, { orderingKey: 'k' });
    await waitFor(async () => (await stats(client, queue)).processed === 8, 'every ack');
    const runs = runsByKey(ledger).get('k')!;
    expect(orderProblems(runs, 8)).toEqual([]);
    expect(runs.map((run) => run.seq)).toEqual([0, 1, 2, 3, 3, 3, 4, 5, 6, 7]);
    // The backoff held the key: #3's retries came no sooner than the backoff.
    const threes = runs.filter((run) => run.seq === 3);
    expect(threes[1].start - threes[0].end!).toBeGreaterThanOrEqual(20);
    await expect(stats(client, queue)).resolves.toMatchObject({ processed: 8, failed: 2, retried: 2 });
  });

  it("a dead message with 'continue' lets the next one run; with 'park' holds the key until releaseOrderingKey()", async () => {
    const queue = uniqueQueue('ordered-dead');
    const poison = (message: QueueMessage<{ key: string; seq: number }>) =>
      message.payload.seq === 1 ? Promise.reject(new Error('poison')) : Promise.resolve();
    const continuing = ledgerWorker(queue, { maxRetries: 1, backoff: 5 }, poison);
    const first = await apps.boot([continuing.LedgerWorker]);
    await first.sender.sendBatch(
      queue,
      [0, 1, 2].map((seq) => ({ key: 'k', seq })),
      { orderingKey: 'k' },
    );
    await waitFor(async () => (await stats(first.client, queue)).processed === 2, 'the others');
    expect(continuing.dead.map((message) => message.attempts)).toEqual([2]);
    expect(
      runsByKey(continuing.ledger)
        .get('k')!
        .map((run) => run.seq),
    ).toEqual([0, 1, 1, 2]);
    const [letter] = await first.admin.deadLetters(queue);
    expect(letter).toMatchObject({ reason: 'dead', attempts: 2, payload: { key: 'k', seq: 1 } });
    await first.close();

    const parkQueue = uniqueQueue('ordered-park');
    const parking = ledgerWorker(parkQueue, { maxRetries: 0, orderedOnDead: 'park' }, poison);
    const { sender, client, admin } = await apps.boot([parking.LedgerWorker]);
    await sender.sendBatch(
      parkQueue,
      [0, 1, 2, 3].map((seq) => ({ key: 'k', seq })),
      { orderingKey: 'k' },
    );
    await sender.send(parkQueue, { key: 'other', seq: 0 }, { orderingKey: 'other' });
    await waitFor(async () => parking.dead.length === 1, 'the dead message');
    await waitFor(async () => (await stats(client, parkQueue)).processed === 2, '#0 of k and the other key');
    // Parked: later messages of k are kept and do not run; another key is not held up.
    await sleep(200);
    expect(
      runsByKey(parking.ledger)
        .get('k')!
        .map((run) => run.seq),
    ).toEqual([0, 1]);
    const ordered = orderedKeysOf(parkQueue);
    await expect(client.llen(ordered.list('k'))).resolves.toBe(2);
    await expect(admin.parkedOrderingKeys(parkQueue)).resolves.toEqual([
      { orderingKey: 'k', parkedAt: expect.any(Date) },
    ]);
    await expect(admin.stats(parkQueue)).resolves.toMatchObject({
      orderingKeys: { ready: 0, leased: 0, parked: 1 },
    });
    await expect(admin.releaseOrderingKey(parkQueue, 'other')).resolves.toBe(false);
    await expect(admin.releaseOrderingKey(parkQueue, 'k')).resolves.toBe(true);
    await waitFor(async () => (await stats(client, parkQueue)).processed === 4, 'the released messages');
    expect(
      runsByKey(parking.ledger)
        .get('k')!
        .map((run) => run.seq),
    ).toEqual([0, 1, 2, 3]);
    await expect(client.exists(ordered.parked, ordered.list('k'))).resolves.toBe(0);
  });

  it('a delayed ordered message holds the later messages of its key until it is due (send order)', async () => {
    const queue = uniqueQueue('ordered-delay');
    const { LedgerWorker, ledger } = ledgerWorker(queue, { concurrency: 4 });
    const { sender, client } = await apps.boot([LedgerWorker]);
    const sentAt = Date.now();
    const delayed = await sender.send(queue, { key: 'k', seq: 0 }, { orderingKey: 'k', delay: 300 });
    expect(delayed.scheduledFor?.getTime()).toBeGreaterThanOrEqual(sentAt + 250);
    const immediate = await sender.send(queue, { key: 'k', seq: 1 }, { orderingKey: 'k' });
    expect(immediate.scheduledFor).toBeUndefined();
    await waitFor(async () => (await stats(client, queue)).processed === 2, 'both');
    const runs = runsByKey(ledger).get('k')!;
    expect(runs.map((run) => run.seq)).toEqual([0, 1]);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(250);
  });

  it('bad ordering keys, the list transport and a priority are refused with typed errors; nothing is written', async () => {
    const queue = uniqueQueue('ordered-bad');
    const { sender, client } = await apps.boot([]);
    for (const orderingKey of ['', 'x'.repeat(257), 'é'.repeat(129), 7, null, ['a']] as unknown[]) {
      for (const call of [
        () => sender.send(queue, 1, { orderingKey } as never),
        () => sender.sendBatch(queue, [1, 2], { orderingKey } as never),
      ]) {
        const error = await call().then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(error).toBeInstanceOf(InvalidSendOptionsError);
        expect(error).toMatchObject({ option: 'orderingKey' });
      }
    }
    const priority = await sender
      .send(queue, 1, { orderingKey: 'k', priority: 5 })
      .catch((thrown: unknown) => thrown);
    expect(priority).toMatchObject({ option: 'orderingKey' });
    // 256 bytes is the limit, in UTF-8 bytes.
    await expect(sender.send(queue, 1, { orderingKey: 'é'.repeat(128) })).resolves.toMatchObject({ queue });
    const ordered = orderedKeysOf(queue);
    await expect(client.llen(ordered.list('é'.repeat(128)))).resolves.toBe(1);
    await expect(client.zcard(ordered.ready)).resolves.toBe(1);

    const listQueue = uniqueQueue('ordered-list');
    const listApp = await apps.boot([], { sender: { transport: 'list' } });
    const refused = await listApp.sender
      .send(listQueue, 1, { orderingKey: 'k' })
      .catch((thrown: unknown) => thrown);
    expect(refused).toBeInstanceOf(NotSupportedError);
    expect(String((refused as Error).message)).toMatch(/stream transport/);
    await expect(client.exists(orderedKeysOf(listQueue).ready, keysOf(listQueue).list)).resolves.toBe(0);
  });

  // MONITOR sees one server: on a cluster the queue's slot may live on another.
  (onCluster ? it.skip : it)(
    'a queue without ordering keys has no ordering key and its worker runs no ordering script',
    async () => {
      const queue = uniqueQueue('unordered');
      const handled: number[] = [];
      @QueueWorker(queue, { concurrency: 4 })
      class PlainWorker {
        @OnMessage() async handle(message: QueueMessage<number>): Promise<void> {
          handled.push(message.payload);
        }
      }
      const { sender, client } = await apps.boot([PlainWorker]);
      // MONITOR on a plain socket: every command the server runs, as text lines.
      const { hostname, port } = new URL(apps.valkey().url);
      const monitor = connect(Number(port), hostname);
      let feed = '';
      monitor.on('data', (chunk: Buffer) => (feed += chunk.toString('latin1')));
      monitor.write('MONITOR\r\n');
      await waitFor(() => feed.startsWith('+OK'), 'MONITOR to start');
      for (let index = 0; index < 20; index++) await sender.send(queue, index);
      await waitFor(async () => handled.length === 20, 'every message');
      monitor.destroy();
      const commands = feed.split('\r\n').filter((line) => line.startsWith('+') && line !== '+OK');
      const ordered = orderedKeysOf(queue);
      await expect(
        client.exists(...Object.values(ordered).filter((value) => typeof value === 'string')),
      ).resolves.toBe(0);
      // At most the lane's start-up looks (one EXISTS, and one once its subscription is live).
      const ordering = commands.filter((line) => line.includes(':ordered:'));
      expect(ordering.length).toBeLessThanOrEqual(2);
      expect(ordering.every((line) => /] "exists" /i.test(line))).toBe(true);
    },
  );
});
