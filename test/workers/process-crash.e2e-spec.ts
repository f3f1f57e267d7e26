import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { ChildWorker, type ChildReport } from './child-worker.js';
import { TRANSPORTS } from './transport-kit.js';
import { keysOf, records, stats, uniqueQueue, waitFor } from './worker-test-kit.js';

/** Child processes load the library from source (TypeScript transpiled on the fly): allow for slow starts. */
jest.setTimeout(240_000);

describe.each(TRANSPORTS)(
  '$name worker processes killed mid-batch (real Valkey, child processes)',
  (transport) => {
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
      const queue = uniqueQueue(`${transport.name}-kill`);
      const keys = keysOf(queue);
      const total = 300;
      const raws = Array.from({ length: total }, (_, index) =>
        transport.envelope(String(index), { id: randomUUID() }),
      );
      const ids = raws.map((raw) => transport.idOf(raw));
      await transport.push(client, queue, ...raws);

      const worker = {
        ...transport.worker,
        ...transport.keepConsumed,
        concurrency: 10,
        claimIdle: 1_000,
        idempotent: true,
      };
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

      // In flight at the kill: delivered to the first process, outcome not written.
      const inFlight = new Set(await transport.inFlightIds(client, queue, firstConsumer));
      expect(inFlight.size).toBeGreaterThan(0);
      expect(inFlight.size).toBeLessThanOrEqual(10 + 10); // running handlers + finished ones not acked yet
      if (transport.name === 'list')
        await expect(client.hget(keys.consumers, firstConsumer)).resolves.toBe(keys.list);

      const second = new ChildWorker({ url: valkey().url, queue, worker, handlerMs: 1 }, onReport(false));
      children.push(second);
      await second.ready.promise;
      await allDone.promise;
      await waitFor(async () => (await stats(client, queue)).processed === total, 'every ack', 60_000);
      await waitFor(async () => (await transport.inFlight(client, queue)) === 0, 'nothing in flight');

      expect(ids.filter((id) => !done.has(id))).toEqual([]); // none lost
      const duplicated = [...done].filter(([, count]) => count > 1).map(([id]) => id);
      expect(duplicated.filter((id) => !inFlight.has(id))).toEqual([]); // duplicates only among those in flight
      await expect(transport.waiting(client, queue)).resolves.toBe(0);
      if (transport.name === 'list') {
        // The dead consumer was reaped and unregistered.
        await expect(client.exists(keys.inflight(firstConsumer))).resolves.toBe(0);
        await expect(client.hexists(keys.consumers, firstConsumer)).resolves.toBe(0);
      }

      // Idempotency after the crash: duplicates of finished messages are acked without running the handler.
      const again = raws.slice(0, 5);
      const startsBefore = again.map((raw) => starts.get(transport.idOf(raw)));
      await transport.push(client, queue, ...again);
      await waitFor(
        async () =>
          (await transport.waiting(client, queue)) === 0 && (await transport.inFlight(client, queue)) === 0,
        'the duplicates to be consumed',
      );
      expect(again.map((raw) => starts.get(transport.idOf(raw)))).toEqual(startsBefore);

      second.kill('SIGTERM');
      await second.exited;
    });

    it('a message whose handler exits the process is dead after maxRetries + 1 deliveries (poison)', async () => {
      const queue = uniqueQueue(`${transport.name}-poison`);
      const id = randomUUID();
      await transport.push(client, queue, transport.envelope('"poison"', { id }));
      const worker = { ...transport.worker, maxRetries: 2, claimIdle: 800 };
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
      expect(letter).toMatchObject({
        id,
        reason: 'dead',
        attempts: '3',
        sourceId: transport.deadSource(queue),
      });
      expect(letter.error).toMatch(/Delivered 3 times without completing/);
      await waitFor(async () => (await transport.inFlight(client, queue)) === 0, 'the ack');
      await expect(transport.deliveryCounts(client, queue)).resolves.toBe(0);
    });
  },
);
