import type { TestingModule } from '@nestjs/testing';
import { jest } from '@jest/globals';
import {
  QueueSender,
  QueueUnavailableError,
  SenderStatus,
  ValkeyConnection,
  ValkeyQueueError,
} from 'nestjs-valkey-queue';
import { startValkey, type StartedValkey } from 'nestjs-valkey-queue/testing';
import type { Redis } from 'ioredis';
import { rawClient } from '../utils/raw-client.js';
import { describeStandalone } from '../utils/topology.js';
import { bootSender, layout, newQueue, pollUntil, streamRecords } from './sender-fixtures.js';

/**
 * Contract items 7 and 8 end to end: the server is killed in the middle of a stream of sends and
 * restarted (append-only file on, so acknowledged writes survive the crash).
 */
describeStandalone('it kills and restarts its own single server; failover on HA topologies is test/scale')(
  'QueueSender through a server crash (real Valkey)',
  () => {
    let server: StartedValkey;
    let moduleRef: TestingModule;

    beforeAll(async () => {
      server = await startValkey({ appendonly: true });
      moduleRef = await bootSender(
        server.url,
        {
          maxRetries: 3,
          retryBackoff: { initialDelay: 20, maxDelay: 100 },
          // Long enough that the open-state checks below finish before a half-open probe is allowed.
          circuitBreaker: { threshold: 4, halfOpenAfter: 3_000 },
          timeout: 15_000,
        },
        {},
        {
          connection: {
            url: server.url,
            commandTimeout: 1_000,
            reconnect: { initialDelay: 20, maxDelay: 100 },
          },
        },
      );
    });
    afterAll(async () => {
      await moduleRef?.close();
      await server?.stop();
    });

    it('retries, opens the breaker, fails fast, recovers after restart and writes nothing twice', async () => {
      const sender = moduleRef.get(QueueSender);
      const status = moduleRef.get(SenderStatus);
      const client = moduleRef.get(ValkeyConnection).client;
      const queue = newQueue();
      const resolved = new Map<number, string>(); // payload -> id, for every send that resolved
      const failures: unknown[] = [];
      let next = 0;
      let producing = true;

      // Five concurrent producers, each sending one message after the other.
      const producer = async (): Promise<void> => {
        while (producing) {
          const payload = next++;
          try {
            resolved.set(payload, (await sender.send(queue, { n: payload })).id);
          } catch (error) {
            failures.push(error);
            await new Promise((resolve) => setImmediate(resolve)); // fail-fast rejections must not starve the loop
          }
        }
      };
      const producers = Array.from({ length: 5 }, producer);

      await pollUntil(
        async () => resolved.size,
        (count) => count >= 200,
      );
      const retriedBefore = status.snapshot().counters.retried;
      await server.kill();
      try {
        // Sends fail over to retries, then the breaker opens after 4 consecutive failures.
        await pollUntil(
          async () => status.snapshot().breaker,
          (state) => state === 'open',
          30_000,
        );
        producing = false;
        await Promise.all(producers);

        // While open: rejected at once, and no command is issued.
        const script = jest.spyOn(client, 'sendCommand');
        await expect(sender.send(queue, { n: -1 })).rejects.toBeInstanceOf(QueueUnavailableError);
        expect(script).not.toHaveBeenCalled();
        script.mockRestore();

        expect(status.snapshot().counters.retried).toBeGreaterThan(retriedBefore);
        expect(status.snapshot().status).toBe('unhealthy');
        await expect(status.check({ timeout: 300 })).resolves.toMatchObject({
          ping: false,
          status: 'unhealthy',
        });
        expect(failures.length).toBeGreaterThan(0);
        expect(failures.every((error) => error instanceof ValkeyQueueError)).toBe(true);
      } finally {
        producing = false;
        await server.restart(); // also when an assertion failed, so the next test has a server
      }

      // After halfOpenAfter a probe goes through; once it succeeds the breaker closes.
      const probe = await pollUntil(
        () =>
          sender.send(queue, { n: next++ }).then(
            (result) => result,
            () => undefined,
          ),
        (result) => result !== undefined,
        30_000,
        50,
      );
      expect(probe).toBeDefined();
      expect(status.snapshot().breaker).toBe('closed');
      const after = await sender.sendBatch(
        queue,
        Array.from({ length: 100 }, () => ({ n: next++ })),
      );
      expect(after).toHaveLength(100);

      // No message written twice; every acknowledged message is there.
      const redis: Redis = rawClient(server.url);
      try {
        const records = await streamRecords(redis, layout(queue).stream);
        const ids = records.map(({ id }) => id);
        const payloads = records.map(({ payload }) => payload);
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Set(payloads).size).toBe(payloads.length);
        const stored = new Set(ids);
        for (const id of resolved.values()) expect(stored.has(id)).toBe(true);
        expect(stored.has(probe!.id)).toBe(true);
        for (const { id } of after) expect(stored.has(id)).toBe(true);
      } finally {
        await redis.quit();
      }
    }, 90_000);

    it('rides out a short outage with retries alone, without duplicates', async () => {
      const patient = await bootSender(
        server.url,
        {
          maxRetries: 20,
          retryBackoff: { initialDelay: 50, maxDelay: 200 },
          circuitBreaker: false,
          timeout: 30_000,
        },
        {},
        {
          connection: {
            url: server.url,
            commandTimeout: 1_000,
            reconnect: { initialDelay: 20, maxDelay: 100 },
          },
        },
      );
      try {
        const sender = patient.get(QueueSender);
        const status = patient.get(SenderStatus);
        const queue = newQueue();
        await sender.sendBatch(queue, [{ n: 'before' }]);

        await server.kill();
        const during = Promise.all(Array.from({ length: 20 }, (_, n) => sender.send(queue, { n })));
        await pollUntil(
          async () => status.snapshot().counters.retried,
          (retried) => retried > 0,
        );
        await server.restart();

        const results = await during;
        const redis: Redis = rawClient(server.url);
        try {
          const ids = (await streamRecords(redis, layout(queue).stream)).map(({ id }) => id);
          expect(ids).toHaveLength(21);
          expect(new Set(ids).size).toBe(21);
          for (const { id } of results) expect(ids).toContain(id);
        } finally {
          await redis.quit();
        }
      } finally {
        await patient.close();
      }
    }, 90_000);
  },
);
