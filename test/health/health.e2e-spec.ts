import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  QueueHealthIndicator,
  VALKEY_QUEUE_CLIENT,
  ValkeyHealthIndicator,
  ValkeyQueueHealthModule,
  ValkeyQueueModule,
  type ValkeyClient,
} from 'nestjs-valkey-queue';
import { serverNow } from '../utils/delayed.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';

describe('health indicators (real Valkey)', () => {
  const valkey = useValkey({ appendonly: true });
  let moduleRef: TestingModule;
  let client: ValkeyClient;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ValkeyQueueModule.forRoot({
          connection: { url: valkey().url, reconnect: { initialDelay: 50, maxDelay: 200 } },
        }),
        ValkeyQueueHealthModule,
      ],
    }).compile();
    await moduleRef.init();
    client = moduleRef.get(VALKEY_QUEUE_CLIENT);
  });
  afterAll(async () => moduleRef.close());

  describe('ValkeyHealthIndicator', () => {
    it('is up with the round trip, server version and role', async () => {
      const result = await moduleRef.get(ValkeyHealthIndicator).isHealthy('valkey');
      expect(result).toEqual({
        valkey: {
          status: 'up',
          address: `redis://127.0.0.1:${valkey().port}/0`,
          latencyMs: expect.any(Number),
          server: expect.stringMatching(/^(valkey|redis)$/),
          version: expect.stringMatching(/^\d+\.\d+/),
          role: 'master',
        },
      });
    });

    it('is down when the server answers slower than the timeout', async () => {
      const pauser = rawClient(valkey().url);
      // Once CLIENT PAUSE has replied, every other client's commands wait for 500 ms.
      await pauser.call('CLIENT', 'PAUSE', '500', 'ALL');
      const result = await moduleRef.get(ValkeyHealthIndicator).isHealthy('valkey', { timeout: 100 });
      await pauser.call('CLIENT', 'UNPAUSE');
      await pauser.quit();
      expect(result.valkey).toMatchObject({ status: 'down', message: 'PING did not finish within 100 ms' });
    });

    it('is down while the server is gone and up again after it restarts', async () => {
      const indicator = moduleRef.get(ValkeyHealthIndicator);
      const reconnected = new Promise<void>((resolve) => client.once('ready', () => resolve()));
      const disconnected = new Promise<void>((resolve) => client.once('close', () => resolve()));
      await valkey().kill();
      await disconnected;
      const down = await indicator.isHealthy('valkey', { timeout: 300 });
      expect(down.valkey.status).toBe('down');
      expect(down.valkey).toHaveProperty('message');

      await valkey().restart();
      await reconnected;
      await expect(indicator.isHealthy('valkey')).resolves.toMatchObject({ valkey: { status: 'up' } });
    });
  });

  describe('QueueHealthIndicator', () => {
    /** A queue with entries written `ageMs` ago, a consumer group and `pending` delivered-but-unacked entries. */
    const queueWith = async ({
      waiting,
      pending,
      ageMs,
      dead = 0,
    }: {
      waiting: number;
      pending: number;
      ageMs: number;
      dead?: number;
    }) => {
      const queue = `health-${randomUUID()}`;
      const stream = `{vq:${queue}}:stream`;
      const startMs = (await serverNow(client)) - ageMs;
      for (let n = 0; n < waiting + pending; n += 1)
        await client.xadd(stream, `${startMs}-${n + 1}`, 'v', '1', 'n', String(n));
      await client.xgroup('CREATE', stream, 'workers', '0');
      if (pending > 0)
        await client.xreadgroup('GROUP', 'workers', 'c1', 'COUNT', pending, 'STREAMS', stream, '>');
      for (let n = 0; n < dead; n += 1) await client.xadd(`{vq:${queue}}:dead`, '*', 'reason', 'dead');
      return queue;
    };

    it('reports waiting, pending, lag and dead letters per queue', async () => {
      const queue = await queueWith({ waiting: 3, pending: 2, ageMs: 10_000, dead: 1 });
      const result = await moduleRef.get(QueueHealthIndicator).isHealthy('queues', { queues: [queue] });
      expect(result.queues).toMatchObject({
        status: 'up',
        queues: { [queue]: { waiting: 3, pending: 2, consumers: 1, deadLetters: 1, paused: false } },
        sender: { status: 'healthy', breaker: 'closed' },
      });
      const lagMs = (result.queues as unknown as { queues: Record<string, { lagMs: number }> }).queues[queue]
        .lagMs;
      expect(lagMs).toBeGreaterThanOrEqual(10_000);
      expect(lagMs).toBeLessThan(60_000);
    });

    it('is down with the numbers that broke each threshold', async () => {
      const queue = await queueWith({ waiting: 1, pending: 5, ageMs: 5_000, dead: 3 });
      const result = await moduleRef
        .get(QueueHealthIndicator)
        .isHealthy('queues', { queues: [queue], maxPending: 4, maxLag: 1_000, maxDeadLetters: 2 });
      expect(result.queues.status).toBe('down');
      const { problems } = result.queues as unknown as { problems: string[] };
      expect(problems).toEqual([
        `${queue}: pending 5 > 4`,
        expect.stringMatching(new RegExp(`^${queue}: lag \\d+ ms > 1000 ms$`)),
        `${queue}: dead letters 3 > 2`,
      ]);
    });

    it('takes the lag over every priority stream: the oldest waiting message of any priority', async () => {
      // Priority 0 has a fresh message; priority 6 one that has waited 20 s (docs/key-layout.md, "Priorities").
      const queue = await queueWith({ waiting: 1, pending: 0, ageMs: 0 });
      const raised = `{vq:${queue}}:stream:p6`;
      await client.xadd(raised, `${(await serverNow(client)) - 20_000}-1`, 'v', '1', 'priority', '6');
      await client.xgroup('CREATE', raised, 'workers', '0');
      const result = await moduleRef.get(QueueHealthIndicator).isHealthy('queues', { queues: [queue] });
      const facts = (
        result.queues as unknown as { queues: Record<string, { lagMs: number; waiting: number }> }
      ).queues[queue];
      expect(facts.waiting).toBe(2);
      expect(facts.lagMs).toBeGreaterThanOrEqual(20_000);
      expect(facts.lagMs).toBeLessThan(60_000);
    });

    it('reports a drained queue with no lag', async () => {
      const queue = await queueWith({ waiting: 0, pending: 1, ageMs: 1_000 });
      const result = await moduleRef
        .get(QueueHealthIndicator)
        .isHealthy('queues', { queues: [queue], maxLag: 100 });
      expect(result.queues).toMatchObject({ status: 'up', queues: { [queue]: { waiting: 0, lagMs: 0 } } });
    });
  });
});
