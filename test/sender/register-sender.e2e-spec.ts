import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  BoundQueueSender,
  getSenderToken,
  InjectSender,
  InvalidOptionsError,
  InvalidQueueNameError,
  QueueSender,
  RateLimitedError,
  ValkeyQueueModule,
} from 'nestjs-valkey-queue';
import type { Redis } from 'ioredis';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { bootSender, layout, newQueue, streamRecords } from './sender-fixtures.js';

interface Email {
  to: string;
}

describe('registerSender + @InjectSender (real Valkey)', () => {
  const valkey = useValkey();
  const emails = newQueue();
  const audit = newQueue();
  let redis: Redis;
  let moduleRef: TestingModule;

  @Injectable()
  class Mailer {
    constructor(
      @InjectSender(emails) readonly emails: BoundQueueSender<Email>,
      @InjectSender(audit) readonly audit: BoundQueueSender,
    ) {}
  }

  beforeAll(async () => {
    redis = rawClient(valkey().url);
    moduleRef = await bootSender(
      valkey().url,
      { headers: { app: 'shop' } },
      {
        imports: [
          ValkeyQueueModule.registerSender({
            name: emails,
            transport: 'list',
            ttl: 60_000,
            headers: { kind: 'email' },
            rateLimit: { perSecond: 0.001, burst: 2, maxWait: 0 }, // 2 tokens, then none for 1000 s
          }),
          ValkeyQueueModule.registerSender({ name: audit, maxLen: 1_000 }),
        ],
        providers: [Mailer],
      },
    );
  });
  afterAll(async () => {
    await moduleRef.close();
    await redis.quit();
  });

  it('injects senders bound to their queue, with their own transport and defaults', async () => {
    const mailer = moduleRef.get(Mailer);
    expect(mailer.emails.queue).toBe(emails);
    expect(mailer.emails.transport).toBe('list');
    expect(mailer.audit.transport).toBe('stream');

    const sent = await mailer.emails.send({ to: 'a@example.com' });

    expect(sent).toMatchObject({ queue: emails, deduplicated: false });
    const element = JSON.parse((await redis.rpop(layout(emails).list))!);
    expect(element).toMatchObject({
      id: sent.id,
      payload: '{"to":"a@example.com"}',
      headers: { app: 'shop', kind: 'email' },
    });
    expect(element.expiresAt - element.createdAt).toBe(60_000);
  });

  it('uses the module defaults where the registration sets nothing', async () => {
    const { audit: auditSender } = moduleRef.get(Mailer);

    await auditSender.sendBatch([1, 2, 3]);

    const records = await streamRecords(redis, layout(audit).stream);
    expect(records).toHaveLength(3);
    expect(JSON.parse(records[0].headers)).toEqual({ app: 'shop' });
    expect(records[0].expiresAt).toBeUndefined();
    await expect(auditSender.size()).resolves.toBe(3);
  });

  it('keeps its own rate limit, apart from QueueSender', async () => {
    const { emails: emailSender } = moduleRef.get(Mailer);
    const queue = newQueue();
    // One token was used by the first test; this takes the second.
    await emailSender.send({ to: 'b@example.com' }).catch(() => undefined);

    await expect(emailSender.send({ to: 'c@example.com' })).rejects.toBeInstanceOf(RateLimitedError);
    await expect(moduleRef.get(QueueSender).sendBatch(queue, [1, 2, 3, 4])).resolves.toHaveLength(4); // module: no limit
  });

  it('works with forRootAsync too', async () => {
    const asyncRef = await Test.createTestingModule({
      imports: [
        ValkeyQueueModule.forRootAsync({
          useFactory: async () => ({
            connection: valkey().connection,
            sender: { transport: 'list' as const },
          }),
        }),
        ValkeyQueueModule.registerSender({ name: audit, transport: 'stream' }),
      ],
    }).compile();
    try {
      await asyncRef.init();
      const bound = asyncRef.get<BoundQueueSender>(getSenderToken(audit));
      expect(bound.transport).toBe('stream');
      await expect(asyncRef.get(QueueSender).send(audit, 1)).resolves.toMatchObject({ queue: audit });
      await expect(redis.llen(layout(audit).list)).resolves.toBe(1); // the module default: list
    } finally {
      await asyncRef.close();
    }
  });

  it('validates the registration when the module is imported', () => {
    expect(() => ValkeyQueueModule.registerSender({ name: 'x', chunkSize: 0 })).toThrow(InvalidOptionsError);
    expect(() => ValkeyQueueModule.registerSender({ name: 'x', transport: 'pubsub' as never })).toThrow(
      /registerSender\.transport/,
    );
    expect(() => ValkeyQueueModule.registerSender({ name: 'a{b}' })).toThrow(InvalidQueueNameError);
    expect(() => ValkeyQueueModule.registerSender({ name: 'x', unknown: 1 } as never)).toThrow(
      /registerSender\.unknown/,
    );
  });
});
