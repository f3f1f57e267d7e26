import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { ChildWorker, type ChildReport } from './child-worker.js';
import { idOf, inFlightCount, listElement, listKeysOf } from './list-test-kit.js';
import { records, stats, uniqueQueue, waitFor } from './worker-test-kit.js';

/** Child processes load the library from source (TypeScript transpiled on the fly): allow for slow starts. */
jest.setTimeout(240_000);

describe('list worker processes killed mid-batch (real Valkey, child processes)', () => {
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

  it('SIGKILL mid-batch loses nothing: a second process recovers the in-flight list once the heartbeat expires; duplicates only among those in flight', async () => {
    const queue = uniqueQueue('list-kill');
    const keys = listKeysOf(queue);
    const total = 300;
    const elements = Array.from({ length: total }, (_, index) => listElement(String(index)));
    const ids = elements.map(idOf);
    await client.lpush(keys.list, ...elements);

    const worker = { transport: 'list', concurrency: 10, claimIdle: 1_000, idempotent: true };
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

    // In flight at the kill: moved into the first process's in-flight list, outcome not written.
    const inFlight = new Set((await client.lrange(keys.inflight(firstConsumer), 0, -1)).map(idOf));
    expect(inFlight.size).toBeGreaterThan(0);
    expect(inFlight.size).toBeLessThanOrEqual(10 + 10); // running handlers + finished ones not acked yet
    await expect(client.hget(keys.consumers, firstConsumer)).resolves.toBe(keys.list);

    const second = new ChildWorker({ url: valkey().url, queue, worker, handlerMs: 1 }, onReport(false));
    children.push(second);
    await second.ready.promise;
    await allDone.promise;
    await waitFor(async () => (await stats(client, queue)).processed === total, 'every ack', 60_000);

    expect(ids.filter((id) => !done.has(id))).toEqual([]); // none lost
    const duplicated = [...done].filter(([, count]) => count > 1).map(([id]) => id);
    expect(duplicated.filter((id) => !inFlight.has(id))).toEqual([]); // duplicates only among those in flight
    await expect(client.exists(keys.inflight(firstConsumer))).resolves.toBe(0);
    await expect(client.hexists(keys.consumers, firstConsumer)).resolves.toBe(0); // reaped and unregistered
    await expect(client.llen(keys.list)).resolves.toBe(0);
    await waitFor(async () => (await inFlightCount(client, queue)) === 0, 'nothing in flight');

    // Idempotency after the crash: duplicates of finished messages are removed without running the handler.
    const again = elements.slice(0, 5);
    const startsBefore = again.map((element) => starts.get(idOf(element)));
    await client.lpush(keys.list, ...again);
    await waitFor(
      async () => (await client.llen(keys.list)) === 0 && (await inFlightCount(client, queue)) === 0,
      'the duplicates to be consumed',
    );
    expect(again.map((element) => starts.get(idOf(element)))).toEqual(startsBefore);

    second.kill('SIGTERM');
    await second.exited;
  });

  it('a message whose handler exits the process is dead after maxRetries + 1 deliveries (poison)', async () => {
    const queue = uniqueQueue('list-poison');
    const keys = listKeysOf(queue);
    const id = randomUUID();
    await client.lpush(keys.list, listElement('"poison"', { id }));
    const worker = { transport: 'list', maxRetries: 2, claimIdle: 800 };
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
    await waitFor(async () => (await client.xlen(keys.dead)) === 1, 'the dead letter');
    const [letter] = await records(client, keys.dead);
    expect(letter).toMatchObject({ id, reason: 'dead', attempts: '3', sourceId: keys.list });
    expect(letter.error).toMatch(/Delivered 3 times without completing/);
    await waitFor(async () => (await inFlightCount(client, queue)) === 0, 'the removal');
    await expect(client.exists(keys.deliveries)).resolves.toBe(0);
  });
});
