import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { ChildWorker, type ChildReport } from './child-worker.js';
import {
  envelopeFields,
  keysOf,
  pendingCount,
  records,
  stats,
  uniqueQueue,
  waitFor,
} from './worker-test-kit.js';

/** Child processes load the library from source (TypeScript transpiled on the fly): allow for slow starts. */
jest.setTimeout(240_000);

describe('worker processes killed mid-batch (real Valkey, child processes)', () => {
  const valkey = useValkey();
  const children: ChildWorker[] = [];
  let client: Redis;
  beforeAll(() => {
    client = rawClient(valkey().url);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await child.exited;
    }
  });
  afterAll(async () => client.quit());

  it('SIGKILL mid-batch loses nothing: a second process finishes every message; duplicates only among those in flight', async () => {
    const queue = uniqueQueue('kill');
    const stream = keysOf(queue).stream;
    const total = 300;
    const ids = Array.from({ length: total }, () => randomUUID());
    const pipeline = client.pipeline();
    ids.forEach((id, index) => pipeline.xadd(stream, '*', ...envelopeFields(String(index), { id })));
    await pipeline.exec();

    const worker = { concurrency: 10, claimIdle: 1_000, idempotent: true, trimAcked: false };
    const done = new Map<string, number>();
    const starts = new Map<string, number>();
    let doneByFirst = 0;
    const enoughDone = deferred<void>();
    const allDone = deferred<void>();
    const onReport = (first: boolean) => (report: ChildReport) => {
      if (report.type === 'start') starts.set(report.id, (starts.get(report.id) ?? 0) + 1);
      if (report.type !== 'done') return;
      done.set(report.id, (done.get(report.id) ?? 0) + 1);
      if (first && (doneByFirst += 1) >= 60) enoughDone.resolve();
      if (done.size === total) allDone.resolve();
    };

    const first = new ChildWorker({ url: valkey().url, queue, worker, handlerMs: 20 }, onReport(true));
    children.push(first);
    const firstConsumer = await first.ready.promise;
    await enoughDone.promise;
    first.kill('SIGKILL');
    await first.exited;

    // In flight at the kill: delivered to the first process and not acknowledged.
    const pending = (await client.xpending(stream, 'default', '-', '+', 10_000, firstConsumer)) as [string][];
    const inFlight = new Set<string>();
    for (const [entryId] of pending) {
      const [[, fields]] = await client.xrange(stream, entryId, entryId);
      inFlight.add(fields[fields.indexOf('id') + 1]);
    }
    expect(inFlight.size).toBeGreaterThan(0);
    expect(inFlight.size).toBeLessThanOrEqual(10 + 10); // running handlers + finished ones not acked yet

    const second = new ChildWorker({ url: valkey().url, queue, worker, handlerMs: 1 }, onReport(false));
    children.push(second);
    await second.ready.promise;
    await allDone.promise;
    await waitFor(async () => (await pendingCount(client, queue)) === 0, 'every ack', 60_000);

    expect(ids.filter((id) => !done.has(id))).toEqual([]); // none lost
    const duplicated = [...done].filter(([, count]) => count > 1).map(([id]) => id);
    expect(duplicated.filter((id) => !inFlight.has(id))).toEqual([]); // duplicates only among those in flight
    await expect(stats(client, queue)).resolves.toMatchObject({ processed: total });

    // Idempotency after the crash: duplicates of finished messages are acked without running the handler.
    const again = ids.slice(0, 5);
    const startsBefore = again.map((id) => starts.get(id));
    for (const id of again) await client.xadd(stream, '*', ...envelopeFields('"again"', { id }));
    await waitFor(async () => (await client.xlen(stream)) === total + 5, 'the duplicates');
    await waitFor(async () => {
      const groups = (await client.call('XINFO', 'GROUPS', stream)) as unknown[][];
      const group = groups[0];
      return Number(group[group.indexOf('lag') + 1]) === 0 && (await pendingCount(client, queue)) === 0;
    }, 'the duplicates to be consumed');
    expect(again.map((id) => starts.get(id))).toEqual(startsBefore);

    second.kill('SIGTERM');
    await second.exited;
  });

  it('a message whose handler exits the process is dead after maxRetries + 1 deliveries (poison)', async () => {
    const queue = uniqueQueue('poison');
    const stream = keysOf(queue).stream;
    const { id } = { id: randomUUID() };
    await client.xadd(stream, '*', ...envelopeFields('"poison"', { id }));
    const worker = { maxRetries: 2, claimIdle: 800 };
    const attempts: number[] = [];
    const dead = deferred<ChildReport>();
    const onReport = (report: ChildReport) => {
      if (report.type === 'start') attempts.push(report.attempt);
      if (report.type === 'dead') dead.resolve(report);
    };
    let settled = false;
    void dead.promise.then(() => {
      settled = true;
    });
    const exitCodes: (number | null)[] = [];
    for (let run = 0; run < 6 && !settled; run += 1) {
      const child = new ChildWorker({ url: valkey().url, queue, worker }, onReport);
      children.push(child);
      const exit = await Promise.race([child.exited, dead.promise.then(() => 'dead' as const)]);
      if (exit !== 'dead') exitCodes.push(exit);
    }
    const report = await dead.promise;
    expect(report).toMatchObject({ type: 'dead', id, attempts: 3 });
    expect(attempts).toEqual([1, 2, 3]); // maxRetries + 1 handler runs, each killing its process
    expect(exitCodes).toEqual([13, 13, 13]);
    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
    const [letter] = await records(client, keysOf(queue).dead);
    expect(letter).toMatchObject({ id, reason: 'dead', attempts: '3' });
    expect(letter.error).toMatch(/Delivered 3 times without completing/);
    await waitFor(async () => (await pendingCount(client, queue)) === 0, 'the ack');
  });
});
