import type { TestingModule } from '@nestjs/testing';
import {
  QueueSender,
  QueueUnavailableError,
  RateLimitedError,
  SendFailedError,
  SenderStatus,
  TimeoutError,
  type SenderDefaults,
} from 'nestjs-valkey-queue';
import type { Redis } from 'ioredis';
import { onEveryServer, rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { bootSender, keysOf, layout, newQueue } from './sender-fixtures.js';

describe('rate limits, deadlines and error classes (real Valkey)', () => {
  const valkey = useValkey();
  let redis: Redis;
  let moduleRef: TestingModule | undefined;
  const boot = async (sender: SenderDefaults, commandTimeout?: number): Promise<QueueSender> => {
    moduleRef = await bootSender(
      valkey().url,
      sender,
      {},
      { connection: { ...valkey().connection, commandTimeout } },
    );
    return moduleRef.get(QueueSender);
  };

  beforeAll(() => {
    redis = rawClient(valkey().url);
  });
  afterEach(async () => {
    await onEveryServer(redis, (server) => server.client('UNPAUSE'));
    await onEveryServer(redis, (server) => server.config('SET', 'maxmemory', '0'));
    await moduleRef?.close();
    moduleRef = undefined;
  });
  afterAll(async () => redis.quit());

  describe('rate limiter', () => {
    it('lets a burst through, then makes sends wait for tokens', async () => {
      const sender = await boot({ rateLimit: { perSecond: 4, burst: 2 } });
      const queue = newQueue();

      // Measured from before the burst: the third token cannot exist before 250 ms after it,
      // however slow the machine is (a lower bound only).
      const startedAt = performance.now();
      await sender.sendBatch(queue, [1, 2]); // the whole burst
      await sender.send(queue, 3);

      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(240);
      await expect(redis.xlen(layout(queue).stream)).resolves.toBe(3);
    });

    it('rejects with RateLimitedError when no token can come within maxWait, writing nothing', async () => {
      const sender = await boot({ rateLimit: { perSecond: 0.001, burst: 3, maxWait: 100 } });
      const queue = newQueue();
      await sender.sendBatch(queue, [1, 2, 3]); // a batch takes one token per message

      await expect(sender.send(queue, 4)).rejects.toBeInstanceOf(RateLimitedError);
      await expect(sender.send(queue, 4)).rejects.toMatchObject({ code: 'VQ_RATE_LIMITED', queue });
      await expect(redis.xlen(layout(queue).stream)).resolves.toBe(3);
      const { counters, window } = moduleRef!.get(SenderStatus).snapshot();
      expect(counters.rejected).toBe(2);
      expect(window.failed).toBe(0); // throttling is not a server error
    });

    it('stops waiting when the caller aborts, with RateLimitedError', async () => {
      const sender = await boot({ rateLimit: { perSecond: 1, burst: 1 } });
      const queue = newQueue();
      await sender.send(queue, 1);
      const controller = new AbortController();

      const waiting = sender.send(queue, 2, { signal: controller.signal });
      controller.abort(new Error('user went away'));

      await expect(waiting).rejects.toBeInstanceOf(RateLimitedError);
      await expect(waiting).rejects.toMatchObject({ cause: new Error('user went away') });
      await expect(redis.xlen(layout(queue).stream)).resolves.toBe(1);
    });
  });

  describe('deadlines', () => {
    it('rejects with TimeoutError once the send timeout passes', async () => {
      const sender = await boot({ timeout: 200, circuitBreaker: false });
      const queue = newQueue();
      await onEveryServer(redis, (server) => server.client('PAUSE', 2_000, 'WRITE'));

      await expect(sender.send(queue, 1)).rejects.toBeInstanceOf(TimeoutError);
    });

    it('rejects with the reason of an aborted signal', async () => {
      const sender = await boot({ circuitBreaker: false });
      const queue = newQueue();
      await onEveryServer(redis, (server) => server.client('PAUSE', 2_000, 'WRITE'));
      const controller = new AbortController();

      const sending = sender.send(queue, 1, { signal: controller.signal });
      controller.abort(new Error('cancelled'));

      await expect(sending).rejects.toThrow('cancelled');
      expect(moduleRef!.get(SenderStatus).snapshot().window.failed).toBe(0);
    });

    it('rejects at once for an already aborted signal, writing nothing', async () => {
      const sender = await boot({});
      const queue = newQueue();

      await expect(
        sender.send(queue, 1, { signal: AbortSignal.abort(new Error('too late')) }),
      ).rejects.toThrow('too late');

      await expect(keysOf(redis, queue)).resolves.toEqual([]);
    });
  });

  describe('retries', () => {
    it('retries an ambiguous timeout and still appends exactly once', async () => {
      const sender = await boot(
        { maxRetries: 8, retryBackoff: { initialDelay: 50, maxDelay: 100 }, circuitBreaker: false },
        150, // commandTimeout: every attempt during the pause times out, but stays queued at the server
      );
      const queue = newQueue();
      await onEveryServer(redis, (server) => server.client('PAUSE', 500, 'WRITE'));

      const result = await sender.send(queue, 'once');

      expect(result.deduplicated).toBe(false);
      await expect(redis.xlen(layout(queue).stream)).resolves.toBe(1);
      expect(moduleRef!.get(SenderStatus).snapshot().counters.retried).toBeGreaterThan(0);
    });

    it('does not retry a server error, and it never opens the breaker', async () => {
      const sender = await boot({ maxRetries: 3 });
      const queue = newQueue();
      await redis.set(layout(queue).stream, 'not a stream');

      for (let attempt = 0; attempt < 6; attempt++) {
        await expect(sender.send(queue, attempt)).rejects.toBeInstanceOf(SendFailedError);
      }

      const { counters, breaker } = moduleRef!.get(SenderStatus).snapshot();
      expect(counters.retried).toBe(0);
      expect(counters.failed).toBe(6);
      expect(breaker).toBe('closed');
    });

    it('opens the breaker on a full server (OOM), without retrying it', async () => {
      const sender = await boot({ maxRetries: 3, circuitBreaker: { threshold: 4, halfOpenAfter: 60_000 } });
      const queue = newQueue();
      await onEveryServer(redis, (server) => server.config('SET', 'maxmemory', '1'));

      for (let attempt = 0; attempt < 4; attempt++) {
        await expect(sender.send(queue, attempt)).rejects.toMatchObject({
          code: 'VQ_SEND_FAILED',
          ambiguous: false,
        });
      }
      await expect(sender.send(queue, 5)).rejects.toBeInstanceOf(QueueUnavailableError);

      const { counters, breaker, status } = moduleRef!.get(SenderStatus).snapshot();
      expect(counters.retried).toBe(0);
      expect(breaker).toBe('open');
      expect(status).toBe('unhealthy');
    });

    it('opens in ratio mode once the failed share passes the threshold', async () => {
      const sender = await boot({
        circuitBreaker: {
          mode: 'ratio',
          threshold: 0.5,
          window: 10_000,
          minimumRps: 0,
          halfOpenAfter: 60_000,
        },
        maxRetries: 0,
      });
      const queue = newQueue();
      await sender.send(queue, 'ok');
      await onEveryServer(redis, (server) => server.config('SET', 'maxmemory', '1'));

      const outcomes: string[] = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        outcomes.push(
          await sender.send(queue, attempt).then(
            () => 'ok',
            (error: { code: string }) => error.code,
          ),
        );
      }

      expect(outcomes).toContain('VQ_QUEUE_UNAVAILABLE');
      expect(moduleRef!.get(SenderStatus).snapshot().breaker).toBe('open');
    });
  });
});
