import type { TestingModule } from '@nestjs/testing';
import { jest } from '@jest/globals';
import {
  InvalidQueueNameError,
  InvalidSendOptionsError,
  PayloadTooLargeError,
  QueueSender,
  SenderStatus,
  SerializationError,
  VALKEY_QUEUE_CLIENT,
  type Envelope,
  type SendResult,
} from 'nestjs-valkey-queue';
import type { Command, Redis } from 'ioredis';
import { keysMatching, rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { bootSender, keysOf, layout, newQueue, pollUntil, streamRecords } from './sender-fixtures.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('QueueSender on streams (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule;
  let sender: QueueSender;
  let redis: Redis;

  beforeAll(async () => {
    redis = rawClient(valkey().url);
    moduleRef = await bootSender(valkey().url);
    sender = moduleRef.get(QueueSender);
  });
  afterAll(async () => {
    await moduleRef.close();
    await redis.quit();
  });

  describe('send', () => {
    it('appends one envelope that a plain XRANGE can read', async () => {
      const queue = newQueue();
      const before = Date.now();

      const result = await sender.send(queue, { orderId: 42 });

      expect(result).toEqual({ id: expect.stringMatching(UUID_V7), queue, deduplicated: false });
      const [record, ...rest] = await streamRecords(redis, layout(queue).stream);
      expect(rest).toEqual([]);
      expect(record).toEqual({
        v: '1',
        id: result.id,
        payload: '{"orderId":42}',
        headers: '{}',
        createdAt: expect.stringMatching(/^\d+$/),
        attempt: '1',
      });
      expect(Number(record.createdAt)).toBeGreaterThanOrEqual(before);
    });

    it('keeps the field order of the wire format', async () => {
      const queue = newQueue();
      await sender.send(queue, 1, { ttl: 5_000, dedupKey: 'k', headers: { trace: 't-1' } });

      const [[, fields]] = await redis.xrange(layout(queue).stream, '-', '+');
      expect(fields.filter((_, index) => index % 2 === 0)).toEqual([
        'v',
        'id',
        'payload',
        'headers',
        'createdAt',
        'attempt',
        'expiresAt',
        'dedupKey',
      ]);
    });

    it('gives every message a new, time-ordered id', async () => {
      const queue = newQueue();
      const results: SendResult[] = [];
      for (let index = 0; index < 20; index++) results.push(await sender.send(queue, index));

      const ids = results.map(({ id }) => id);
      expect(new Set(ids).size).toBe(20);
      expect([...ids].sort()).toEqual(ids);
    });

    it('stores ttl as expiresAt = createdAt + ttl, and never puts a TTL on a key', async () => {
      const queue = newQueue();
      await sender.send(queue, 'a', { ttl: 1_500 });
      await sender.send(queue, 'b');
      await sender.sendBatch(queue, ['c', 'd'], { ttl: 50 });
      await sender.send(queue, 'e', { delay: 60_000, ttl: 120_000 });

      const [a, b, c, d] = await streamRecords(redis, layout(queue).stream);
      expect(Number(a.expiresAt) - Number(a.createdAt)).toBe(1_500);
      expect(b.expiresAt).toBeUndefined();
      expect(Number(c.expiresAt) - Number(c.createdAt)).toBe(50);
      expect(d.expiresAt).toBe(c.expiresAt);
      const { stream, delayed, bodies } = layout(queue);
      for (const key of [stream, delayed, bodies]) await expect(redis.pttl(key)).resolves.toBe(-1);
    });

    it('sends headers, merged over the sender defaults', async () => {
      const queue = newQueue();
      await sender.send(queue, 1, { headers: { traceparent: '00-abc-01', tenant: 'acme' } });

      const [record] = await streamRecords(redis, layout(queue).stream);
      expect(JSON.parse(record.headers)).toEqual({ traceparent: '00-abc-01', tenant: 'acme' });
    });

    it('keeps every concurrent send: 500 calls at once give 500 entries with their own ids', async () => {
      const queue = newQueue();

      const results = await Promise.all(
        Array.from({ length: 500 }, (_, index) => sender.send(queue, { index })),
      );

      const records = await streamRecords(redis, layout(queue).stream);
      expect(records).toHaveLength(500);
      const byId = new Map(records.map((record) => [record.id, JSON.parse(record.payload).index as number]));
      results.forEach((result, index) => expect(byId.get(result.id)).toBe(index));
      // Sends gathered into one send-many.lua call keep a marker each; the first, alone on the wire,
      // went out as a bare XADD without one (its retry looks for the entry instead).
      const markers = await keysMatching(redis, `${layout(queue).tag.replace(/[{}]/g, '\\$&')}:sent:*`);
      expect(markers.length).toBeGreaterThanOrEqual(499);
    });

    it('keeps call order for sends issued one after the other without awaiting', async () => {
      const queue = newQueue();

      await Promise.all([
        sender.send(queue, 0),
        sender.send(queue, 1),
        sender.send(queue, 2, { dedupKey: 'two' }),
        sender.send(queue, 3),
      ]);

      const records = await streamRecords(redis, layout(queue).stream);
      expect(records.map(({ payload }) => Number(payload))).toEqual([0, 1, 2, 3]);
    });

    it('writes an idempotency marker with the configured window when send.lua writes', async () => {
      const queue = newQueue();
      const { id } = await sender.send(queue, 1, { delay: 60_000 });

      const ttl = await redis.pttl(layout(queue).sent(id));
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });
  });

  describe('dedupKey', () => {
    it('appends only the first send and returns its id to later ones', async () => {
      const queue = newQueue();
      const first = await sender.send(queue, 'first', { dedupKey: 'order-7' });

      const second = await sender.send(queue, 'second', { dedupKey: 'order-7' });

      expect(second).toEqual({ id: first.id, queue, deduplicated: true });
      const records = await streamRecords(redis, layout(queue).stream);
      expect(records.map(({ payload }) => payload)).toEqual(['"first"']);
      expect(records[0].dedupKey).toBe('order-7');
      await expect(redis.get(layout(queue).dedup('order-7'))).resolves.toBe(first.id);
    });

    it('lets exactly one of 50 concurrent sends with one key through', async () => {
      const queue = newQueue();

      const results = await Promise.all(
        Array.from({ length: 50 }, (_, index) => sender.send(queue, index, { dedupKey: 'same' })),
      );

      await expect(redis.xlen(layout(queue).stream)).resolves.toBe(1);
      const written = results.filter((result) => !result.deduplicated);
      expect(written).toHaveLength(1);
      expect(new Set(results.map(({ id }) => id))).toEqual(new Set([written[0].id]));
    });

    it('uses dedupTtl for the window, then lets a new message through', async () => {
      const queue = newQueue();
      await sender.send(queue, 1, { dedupKey: 'short', dedupTtl: 200 });
      const ttl = await redis.pttl(layout(queue).dedup('short'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(200);
      await pollUntil(
        () => redis.exists(layout(queue).dedup('short')),
        (exists) => exists === 0,
      );

      await expect(sender.send(queue, 2, { dedupKey: 'short' })).resolves.toMatchObject({
        deduplicated: false,
      });
      await expect(redis.xlen(layout(queue).stream)).resolves.toBe(2);
    });

    it('writes its idempotency marker too: a retry after the dedup window ended appends nothing', async () => {
      const queue = newQueue();
      const client = moduleRef.get<Redis>(VALKEY_QUEUE_CLIENT);
      const commands = jest.spyOn(client, 'sendCommand');
      let sent: SendResult;
      let issued: Command[];
      try {
        sent = await sender.send(queue, 1, { dedupKey: 'lost-reply', dedupTtl: 50 });
      } finally {
        issued = commands.mock.calls.map(([command]) => command);
        commands.mockRestore();
      }
      const ttl = await redis.pttl(layout(queue).sent(sent.id));
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      const [script] = issued.filter((command) => /^eval/i.test(command.name));
      expect(script).toBeDefined();
      await pollUntil(
        () => redis.exists(layout(queue).dedup('lost-reply')),
        (exists) => exists === 0,
      );

      // The sender's retry of a call whose reply was lost sends the same command, marked as a retry
      // (send.lua's ARGV[10], after the script, the key count and 5 keys).
      const retried = [...(script.args as string[])];
      expect(retried[16]).toBe('0');
      retried[16] = '1';
      await expect(redis.call(script.name, ...retried)).resolves.toEqual([2]);
      await expect(redis.xlen(layout(queue).stream)).resolves.toBe(1);
    });

    it('uses the default dedup window of one hour', async () => {
      const queue = newQueue();
      await sender.send(queue, 1, { dedupKey: 'default' });

      const ttl = await redis.pttl(layout(queue).dedup('default'));
      expect(ttl).toBeGreaterThan(3_590_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
    });

    it('dedups delayed sends too', async () => {
      const queue = newQueue();
      const first = await sender.send(queue, 1, { dedupKey: 'later', delay: 60_000 });

      await expect(sender.send(queue, 2, { dedupKey: 'later', delay: 60_000 })).resolves.toEqual({
        id: first.id,
        queue,
        deduplicated: true,
      });
      await expect(redis.zcard(layout(queue).delayed)).resolves.toBe(1);
    });
  });

  describe('delay and at', () => {
    it('parks a delayed message, reports scheduledFor, and the promoter appends it when due', async () => {
      const queue = newQueue();
      const before = Date.now();

      const result = await sender.send(queue, { later: true }, { delay: 300 });

      expect(result.scheduledFor).toBeInstanceOf(Date);
      expect(result.scheduledFor!.getTime()).toBeGreaterThanOrEqual(before + 300 - 50); // server clock
      await expect(redis.zscore(layout(queue).delayed, result.id)).resolves.toBe(
        String(result.scheduledFor!.getTime()),
      );
      await expect(redis.exists(layout(queue).stream)).resolves.toBe(0);
      const [record] = await pollUntil(
        () => streamRecords(redis, layout(queue).stream),
        (records) => records.length === 1,
      );
      expect(record).toMatchObject({ id: result.id, payload: '{"later":true}', attempt: '1' });
      await expect(redis.zcard(layout(queue).delayed)).resolves.toBe(0);
    });

    it('schedules at a future Date', async () => {
      const queue = newQueue();
      const at = new Date(Date.now() + 120_000);

      const result = await sender.send(queue, 1, { at });

      expect(result.scheduledFor).toEqual(at);
      await expect(redis.zscore(layout(queue).delayed, result.id)).resolves.toBe(String(at.getTime()));
    });

    it('sends at once when at is in the past', async () => {
      const queue = newQueue();

      const result = await sender.send(queue, 1, { at: new Date(Date.now() - 1_000) });

      expect(result.scheduledFor).toBeUndefined();
      await expect(redis.xlen(layout(queue).stream)).resolves.toBe(1);
      await expect(redis.exists(layout(queue).delayed)).resolves.toBe(0);
    });

    it('delays a whole batch to one due time', async () => {
      const queue = newQueue();

      const results = await sender.sendBatch(queue, [1, 2, 3], { delay: 60_000 });

      expect(new Set(results.map(({ scheduledFor }) => scheduledFor?.getTime())).size).toBe(1);
      await expect(redis.zcard(layout(queue).delayed)).resolves.toBe(3);
      await expect(redis.hlen(layout(queue).bodies)).resolves.toBe(3);
    });
  });

  describe('sendBatch', () => {
    it('appends every payload in input order and returns results in that order', async () => {
      const queue = newQueue();
      const payloads = Array.from({ length: 2_345 }, (_, index) => ({ index }));

      const results = await sender.sendBatch(queue, payloads);

      expect(results).toHaveLength(2_345);
      const records = await streamRecords(redis, layout(queue).stream);
      expect(records.map(({ payload }) => JSON.parse(payload).index)).toEqual(
        payloads.map(({ index }) => index),
      );
      expect(records.map(({ id }) => id)).toEqual(results.map(({ id }) => id));
      expect(results.every((result) => result.queue === queue && !result.deduplicated)).toBe(true);
    });

    it('resolves [] for an empty batch without writing', async () => {
      const queue = newQueue();

      await expect(sender.sendBatch(queue, [])).resolves.toEqual([]);

      await expect(keysOf(redis, queue)).resolves.toEqual([]);
    });

    it('refuses the whole batch before writing when one payload is bad', async () => {
      const queue = newQueue();
      const payloads: unknown[] = Array.from({ length: 3_000 }, (_, index) => index);
      payloads[2_500] = { big: 1n };

      await expect(sender.sendBatch(queue, payloads)).rejects.toMatchObject({
        code: 'VQ_SERIALIZATION',
        index: 2_500,
      });

      await expect(keysOf(redis, queue)).resolves.toEqual([]);
    });

    it('refuses a dedupKey (it would drop all but one message)', async () => {
      const queue = newQueue();

      await expect(sender.sendBatch(queue, [1, 2], { dedupKey: 'x' })).rejects.toBeInstanceOf(
        InvalidSendOptionsError,
      );

      await expect(keysOf(redis, queue)).resolves.toEqual([]);
    });
  });

  describe('bad input writes nothing', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;

    it.each([
      ['an empty queue name', '', 1, undefined, InvalidQueueNameError],
      ['a queue name with braces', 'a{b}', 1, undefined, InvalidQueueNameError],
      ['a queue name with spaces', 'a b', 1, undefined, InvalidQueueNameError],
      ['a BigInt', undefined, { n: 10n }, undefined, SerializationError],
      ['a circular payload', undefined, circular, undefined, SerializationError],
      ['an undefined payload', undefined, undefined, undefined, SerializationError],
      ['a payload over 1 MiB', undefined, 'x'.repeat(1024 * 1024), undefined, PayloadTooLargeError],
      ['a priority above 10', undefined, 1, { priority: 11 }, InvalidSendOptionsError],
      ['a fractional priority', undefined, 1, { priority: 2.5 }, InvalidSendOptionsError],
      ['delay 0', undefined, 1, { delay: 0 }, InvalidSendOptionsError],
      ['a negative delay', undefined, 1, { delay: -5 }, InvalidSendOptionsError],
      ['a NaN delay', undefined, 1, { delay: NaN }, InvalidSendOptionsError],
      ['an infinite delay', undefined, 1, { delay: Infinity }, InvalidSendOptionsError],
      ['a string delay', undefined, 1, { delay: '100' }, InvalidSendOptionsError],
      ['ttl 0', undefined, 1, { ttl: 0 }, InvalidSendOptionsError],
      ['a ttl shorter than the delay', undefined, 1, { ttl: 100, delay: 200 }, InvalidSendOptionsError],
      ['delay and at together', undefined, 1, { delay: 1, at: new Date() }, InvalidSendOptionsError],
      ['an invalid Date', undefined, 1, { at: new Date('nope') }, InvalidSendOptionsError],
      ['an empty dedupKey', undefined, 1, { dedupKey: '' }, InvalidSendOptionsError],
      ['a dedupTtl without dedupKey', undefined, 1, { dedupTtl: 100 }, InvalidSendOptionsError],
      ['non-string header values', undefined, 1, { headers: { n: 1 } }, InvalidSendOptionsError],
      ['an unknown option', undefined, 1, { dealy: 100 }, InvalidSendOptionsError],
    ])('%s', async (_, name, payload, options, ErrorClass) => {
      const queue = name ?? newQueue();

      const sending = sender.send(queue, payload, options as never);

      await expect(sending).rejects.toBeInstanceOf(ErrorClass);
      await expect(sending).rejects.toMatchObject({ code: expect.stringMatching(/^VQ_/) });
      if (name === undefined) await expect(keysOf(redis, queue)).resolves.toEqual([]);
    });

    it('reports a healthy status with a working PING', async () => {
      await sender.send(newQueue(), 1);

      await expect(moduleRef.get(SenderStatus).check({ timeout: 2_000 })).resolves.toMatchObject({
        status: 'healthy',
        breaker: 'closed',
        ping: true,
        counters: expect.objectContaining({ sent: expect.any(Number) }),
        uptimeMs: expect.any(Number),
      });
    });

    it('counts invalid sends in the status, not as server errors', async () => {
      const status = moduleRef.get(SenderStatus);
      const before = status.snapshot();

      await expect(sender.send('', 1)).rejects.toThrow();

      const after = status.snapshot();
      expect(after.counters.invalid).toBe(before.counters.invalid + 1);
      expect(after.window.failed).toBe(before.window.failed);
    });
  });

  describe('size', () => {
    it('counts waiting, in-flight and delayed messages', async () => {
      const queue = newQueue();
      const { stream } = layout(queue);
      await expect(sender.size(queue)).resolves.toBe(0);
      await sender.sendBatch(queue, [1, 2, 3, 4, 5]);
      await sender.send(queue, 6, { delay: 60_000 });
      await expect(sender.size(queue)).resolves.toBe(6); // no group yet: all 5 waiting + 1 delayed

      await redis.xgroup('CREATE', stream, 'workers', '0');
      await expect(sender.size(queue)).resolves.toBe(6);
      const [[, delivered]] = (await redis.xreadgroup(
        'GROUP',
        'workers',
        'c1',
        'COUNT',
        2,
        'STREAMS',
        stream,
        '>',
      )) as [string, [string, string[]][]][];
      await expect(sender.size(queue)).resolves.toBe(6); // 3 waiting + 2 in flight + 1 delayed
      await redis.xack(stream, 'workers', delivered[0][0]);
      await expect(sender.size(queue)).resolves.toBe(5);
    });

    it('counts a list queue too, whatever transport the sender sends on: its lists, in-flight lists and delayed', async () => {
      const queue = newQueue();
      const { tag, list, delayed } = layout(queue);
      const element = (n: number) => JSON.stringify({ v: '1', id: `m${n}`, payload: String(n), attempt: 1 });
      await redis.lpush(list, element(1), element(2), element(3));
      await redis.zadd(delayed, Date.now() + 60_000, 'later');
      // Two list workers: one reads the key-layout list (1 in flight), one a queueNamer key (2 waiting, 1 in flight).
      const custom = `${tag}:custom`;
      await redis.hset(`${tag}:list-consumers`, 'c1', list, 'c2', custom);
      await redis.lpush(`${tag}:inflight:c1`, element(4));
      await redis.lpush(custom, element(5), element(6));
      await redis.lpush(`${tag}:inflight:c2`, element(7));

      await expect(sender.size(queue)).resolves.toBe(8);
    });
  });
});

describe('QueueSender options (real Valkey)', () => {
  const valkey = useValkey();
  let redis: Redis;
  let moduleRef: TestingModule | undefined;
  beforeAll(() => {
    redis = rawClient(valkey().url);
  });
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });
  afterAll(async () => redis.quit());

  it('encodes with a custom codec and enforces maxPayloadBytes on its output', async () => {
    const codec = {
      encode: (value: unknown) => `<${String(value)}>`,
      decode: (text: string) => text.slice(1, -1),
    };
    moduleRef = await bootSender(valkey().url, { codec, maxPayloadBytes: 10 });
    const sender = moduleRef.get(QueueSender);
    const queue = newQueue();

    await sender.send(queue, 'hello');
    await expect(sender.send(queue, 'far too long')).rejects.toMatchObject({
      code: 'VQ_PAYLOAD_TOO_LARGE',
      bytes: 14,
      limit: 10,
    });

    const records = await streamRecords(redis, layout(queue).stream);
    expect(records.map(({ payload }) => payload)).toEqual(['<hello>']);
  });

  it('writes chunks of chunkSize, one script call each', async () => {
    moduleRef = await bootSender(valkey().url, { chunkSize: 10 });
    const sender = moduleRef.get(QueueSender);
    const queue = newQueue();
    const markers = () => keysMatching(redis, `${layout(queue).tag.replace(/[{}]/g, '\\$&')}:sent:*`);

    await sender.sendBatch(
      queue,
      Array.from({ length: 35 }, (_, index) => index),
    );

    await expect(redis.xlen(layout(queue).stream)).resolves.toBe(35);
    await expect(markers()).resolves.toHaveLength(4); // one marker per chunk: 10 + 10 + 10 + 5
  });

  it('turns the idempotency markers off with idempotencyWindow 0', async () => {
    moduleRef = await bootSender(valkey().url, { idempotencyWindow: 0 });
    const queue = newQueue();

    await moduleRef.get(QueueSender).send(queue, 1);

    await expect(keysOf(redis, queue)).resolves.toEqual([layout(queue).stream]);
  });

  it('trims the stream with maxLen', async () => {
    moduleRef = await bootSender(valkey().url, { maxLen: 50 });
    const queue = newQueue();

    for (let round = 0; round < 10; round++) {
      await moduleRef.get(QueueSender).sendBatch(
        queue,
        Array.from({ length: 100 }, (_, index) => index),
      );
    }

    await expect(redis.xlen(layout(queue).stream)).resolves.toBeLessThan(1_000);
  });

  it('applies default ttl and headers from the sender options', async () => {
    moduleRef = await bootSender(valkey().url, { ttl: 30_000, headers: { app: 'billing', env: 'test' } });
    const queue = newQueue();

    await moduleRef.get(QueueSender).send(queue, 1, { headers: { env: 'prod' } });

    const [record] = await streamRecords(redis, layout(queue).stream);
    expect(Number(record.expiresAt) - Number(record.createdAt)).toBe(30_000);
    expect(JSON.parse(record.headers)).toEqual({ app: 'billing', env: 'prod' });
  });

  it('calls onSent per written message with the envelope, and onError per failed call', async () => {
    const onSent = jest.fn<(result: SendResult, envelope: Envelope) => void>();
    const onError = jest.fn<(error: Error, queue: string) => void>();
    moduleRef = await bootSender(valkey().url, { onSent, onError });
    const sender = moduleRef.get(QueueSender);
    const queue = newQueue();

    const single = await sender.send(queue, { a: 1 }, { dedupKey: 'k' });
    await sender.send(queue, { a: 2 }, { dedupKey: 'k' }); // deduplicated: no onSent
    const batch = await sender.sendBatch(queue, [1, 2]);
    await expect(sender.send(queue, 1n)).rejects.toThrow(SerializationError);

    expect(onSent.mock.calls.map(([result]) => result)).toEqual([single, ...batch]);
    expect(onSent.mock.calls[0][1]).toMatchObject({
      id: single.id,
      payload: '{"a":1}',
      attempt: 1,
      dedupKey: 'k',
    });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0][0]).toBeInstanceOf(SerializationError);
    expect(onError.mock.calls[0][1]).toBe(queue);
  });

  it('logs and swallows a throwing hook', async () => {
    const onSent = (): void => {
      throw new Error('hook failed');
    };
    moduleRef = await bootSender(valkey().url, { onSent });
    const queue = newQueue();

    await expect(moduleRef.get(QueueSender).send(queue, 1)).resolves.toMatchObject({ deduplicated: false });
    await expect(redis.xlen(layout(queue).stream)).resolves.toBe(1);
  });

  it('fails the module at startup on invalid sender options', async () => {
    await expect(
      bootSender(valkey().url, { maxRetries: -1, chunkSize: 0, transport: 'kafka' as never }),
    ).rejects.toMatchObject({
      code: 'VQ_INVALID_OPTIONS',
      message: expect.stringMatching(
        /sender\.maxRetries[\s\S]*sender\.chunkSize|sender\.chunkSize[\s\S]*sender\.maxRetries/,
      ),
    });
  });

  it('uses the configured prefix in every key', async () => {
    moduleRef = await bootSender(valkey().url, {}, {}, { prefix: 'billing' });
    const queue = newQueue();

    await moduleRef.get(QueueSender).send(queue, 1);

    await expect(redis.xlen(layout(queue, 'billing').stream)).resolves.toBe(1);
  });
});
