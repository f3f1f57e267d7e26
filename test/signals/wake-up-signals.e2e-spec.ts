import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  DelayedPromoter,
  OnMessage,
  QueueAdmin,
  QueueScheduler,
  QueueSender,
  QueueWorker,
  ValkeyQueueModule,
  type ConnectionOptions,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';

/**
 * Idle instances sleep instead of polling; what another instance changes meanwhile reaches them as
 * a Pub/Sub signal (docs/architecture.md, "Wake-up signals"). Every instance here polls only every
 * 60 s, so anything it does within seconds was triggered by a signal.
 */
const SLEEPY = { pollInterval: 60_000 };
const streamOf = (queue: string): string => `{vq:${queue}}:stream`;

/** Polls `check` every 50 ms until it holds (there is no event for a server-side state). */
async function eventually(check: () => Promise<boolean>, what: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('wake-up signals (real Valkey)', () => {
  const valkey = useValkey();
  const apps: TestingModule[] = [];
  let reader: Redis;

  const start = async (
    providers: Parameters<typeof Test.createTestingModule>[0]['providers'] = [],
    connection: ConnectionOptions = valkey().connection,
  ): Promise<TestingModule> => {
    const app = await Test.createTestingModule({
      imports: [ValkeyQueueModule.forRoot({ connection, scheduler: SLEEPY })],
      providers,
    }).compile();
    await app.init();
    apps.push(app);
    return app;
  };
  /** The first entry appended to `stream`, waited for with XREAD BLOCK. */
  const firstEntry = async (stream: string): Promise<[string, string[]]> => {
    const reply = await reader.xread('BLOCK', 10_000, 'STREAMS', stream, '0');
    if (!reply) throw new Error(`nothing appended to ${stream} within 10 s`);
    return reply[0][1][0];
  };

  beforeAll(() => {
    reader = rawClient(valkey().url);
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => reader.quit());

  it('a delayed message sent elsewhere wakes an idle promoter in time for it', async () => {
    const queue = `signals-${randomUUID()}`;
    const idle = await start();
    idle.get(DelayedPromoter).watch(queue, 'stream');
    const sender = await start();
    const sentAt = Date.now();
    await sender.get(QueueSender).send(queue, { n: 1 }, { delay: 1_000 });
    // The sender's own promoter goes away: only the idle instance can move the message.
    await apps.splice(1, 1)[0].close();

    const [entryId] = await firstEntry(streamOf(queue));
    const appendedAt = Number(entryId.split('-')[0]);
    expect(appendedAt).toBeGreaterThanOrEqual(sentAt + 1_000 - 50); // not early (server clock)
    expect(appendedAt).toBeLessThan(sentAt + 10_000); // far sooner than the 60 s poll
  });

  it('a schedule created elsewhere fires on an idle instance', async () => {
    const queue = `signals-${randomUUID()}`;
    await start();
    const creator = await start();
    await creator
      .get(QueueScheduler)
      .upsert({ name: `every-${queue}`, every: 1_000, queue, payload: { tick: true } });
    await apps.splice(1, 1)[0].close();

    const [, fields] = await firstEntry(streamOf(queue));
    expect(fields).toEqual(expect.arrayContaining(['payload', '{"tick":true}']));
  });

  it('pause cuts a blocked read short at once, and resume lets the message through', async () => {
    const queue = `signals-${randomUUID()}`;
    const handled = deferred<QueueMessage>();
    @Injectable()
    @QueueWorker(queue, { blockTimeout: 60_000 })
    class SignalWorker {
      @OnMessage()
      handle(message: QueueMessage): void {
        handled.resolve(message);
      }
    }
    const app = await start([SignalWorker]);
    const readerIsBlocked = async (): Promise<boolean> => {
      const clients = (await reader.client('LIST')) as string;
      return clients
        .split('\n')
        .some((line) => line.includes(`name=vq:worker:${queue}:`) && /flags=\S*b/.test(line));
    };
    await eventually(readerIsBlocked, 'the worker blocks in XREADGROUP');

    await app.get(QueueAdmin).pause(queue);
    // Without the signal the read would stay blocked for its 60 s.
    await eventually(async () => !(await readerIsBlocked()), 'the paused worker stops reading');
    await app.get(QueueSender).send(queue, { n: 1 });
    const [group] = (await reader.xinfo('GROUPS', streamOf(queue))) as unknown[][];
    const info = Object.fromEntries(
      Array.from({ length: group.length / 2 }, (_, i) => [group[2 * i], group[2 * i + 1]]),
    ) as Record<string, unknown>;
    expect(info.pending).toBe(0); // paused: not fetched

    await app.get(QueueAdmin).resume(queue);
    await expect(handled.promise).resolves.toMatchObject({ payload: { n: 1 } });
  });

  describe('when the server refuses SUBSCRIBE', () => {
    const limited = useValkey({
      users: [{ name: 'no-channels', password: 'secret', rules: '~* resetchannels +@all' }],
    });
    const connection = (): ConnectionOptions => ({
      host: '127.0.0.1',
      port: limited().port,
      username: 'no-channels',
      password: 'secret',
    });

    it('falls back to polling at scheduler.pollInterval', async () => {
      const queue = `signals-${randomUUID()}`;
      const app = await Test.createTestingModule({
        imports: [ValkeyQueueModule.forRoot({ connection: connection(), scheduler: { pollInterval: 200 } })],
      }).compile();
      await app.init();
      apps.push(app);
      app.get(DelayedPromoter).watch(queue, 'stream');
      await app.get(QueueSender).send(queue, { n: 1 }, { delay: 300 });

      const limitedReader = rawClient(limited().url);
      try {
        await limitedReader.auth('no-channels', 'secret');
        const reply = await limitedReader.xread('BLOCK', 10_000, 'STREAMS', streamOf(queue), '0');
        expect(reply?.[0][1]).toHaveLength(1);
      } finally {
        await limitedReader.quit();
      }
    });
  });
});
