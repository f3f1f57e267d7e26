import { IsInt, IsString, Min } from 'class-validator';
import { InvalidPayloadError, OnDead, OnMessage, QueueWorker, type QueueMessage } from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { listElement } from './list-test-kit.js';
import { collector, LIST, TRANSPORTS, useWorkerApp } from './transport-kit.js';
import {
  addRaw,
  envelopeFields,
  keysOf,
  pendingCount,
  records,
  stats,
  TRICKY_PAYLOAD,
  uniqueQueue,
  waitFor,
} from './worker-test-kit.js';

class OrderDto {
  @IsInt() @Min(1) orderId!: number;
  @IsString() customer!: string;
}

const apps = useWorkerApp();

describe.each(TRANSPORTS)(
  'broken, expired and byte-exact messages on the $name transport (real Valkey)',
  (transport) => {
    it('a payload failing DTO validation is broken and never retried; a valid one arrives as a DTO instance', async () => {
      const queue = uniqueQueue(transport.name);
      const { CollectingWorker, handled, broken } = collector(queue, {
        ...transport.worker,
        payload: OrderDto,
        maxRetries: 5,
      });
      const app = await apps.boot([CollectingWorker], transport.app);
      const { client } = app;
      await app.sender.send(queue, { orderId: 0, customer: 42 });
      await app.sender.send(queue, { orderId: 7, customer: 'ada' });
      await app.worker(queue).start();
      await waitFor(
        async () =>
          handled.length === 1 && broken.length === 1 && (await client.xlen(keysOf(queue).dead)) === 1,
        'both',
      );

      expect(handled[0].payload).toBeInstanceOf(OrderDto);
      expect(handled[0].payload).toEqual({ orderId: 7, customer: 'ada' });
      expect(broken).toHaveLength(1);
      expect(broken[0].error).toBeInstanceOf(InvalidPayloadError);
      expect(broken[0].error.message).toMatch(/orderId: orderId must not be less than 1/);
      expect(broken[0].error.message).toMatch(/customer: customer must be a string/);
      const [letter] = await records(client, keysOf(queue).dead);
      expect(letter.reason).toBe('broken');
      await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
      await expect(stats(client, queue)).resolves.toEqual({ broken: 1, processed: 1 });
      await expect(client.zcard(keysOf(queue).delayed)).resolves.toBe(0);
    });

    it('an expired message (ttl 50 ms, worker started later) is not handled: DLQ with reason expired', async () => {
      const queue = uniqueQueue(transport.name);
      const { CollectingWorker, handled, dead } = collector(queue, transport.worker);
      const app = await apps.boot([CollectingWorker], transport.app);
      const { client } = app;
      const a = await app.sender.send(queue, 'A', { ttl: 50 });
      const b = await app.sender.send(queue, 'B');
      await new Promise((resolve) => setTimeout(resolve, 100)); // the scenario: start the worker after 100 ms
      await app.worker(queue).start();
      await waitFor(
        async () => (await client.xlen(keysOf(queue).dead)) === 1 && handled.length === 1,
        'both',
      );

      expect(handled.map((message) => message.id)).toEqual([b.id]);
      expect(handled.map((message) => message.payload)).toEqual(['B']);
      expect(dead).toEqual([]);
      const [letter] = await records(client, keysOf(queue).dead);
      expect(letter).toMatchObject({ id: a.id, reason: 'expired', attempts: '0' });
      expect(letter.error).toMatch(/^expired at /);
      await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
      await expect(stats(client, queue)).resolves.toEqual({ expired: 1, processed: 1 });
    });

    it('with deadLetterExpired false, an expired message is acked and counted only', async () => {
      const queue = uniqueQueue(transport.name);
      const { CollectingWorker, handled } = collector(queue, {
        ...transport.worker,
        deadLetterExpired: false,
      });
      const app = await apps.boot([CollectingWorker], transport.app);
      const { client } = app;
      await transport.push(client, queue, transport.envelope('1', { expiresAt: String(Date.now() - 1) }));
      await app.worker(queue).start();
      await waitFor(async () => (await stats(client, queue)).expired === 1, 'the expired counter');
      expect(handled).toEqual([]);
      await expect(client.xlen(keysOf(queue).dead)).resolves.toBe(0);
      await expect(transport.inFlight(client, queue)).resolves.toBe(0);
      await expect(transport.waiting(client, queue)).resolves.toBe(0);
    });
  },
);

describe('broken, expired and byte-exact messages on the stream transport only (real Valkey)', () => {
  it('bad JSON, a missing or unknown schema version are broken: @OnBroken, then the DLQ with reason broken', async () => {
    const queue = uniqueQueue();
    const { CollectingWorker, handled, broken } = collector(queue);
    const app = await apps.boot([CollectingWorker]);
    const { client } = app;
    const badJson = envelopeFields('{not json', { id: 'bad-json' });
    const noVersion = envelopeFields('{}', { id: 'no-v' }).slice(2);
    const futureVersion = envelopeFields('{}', { id: 'v2', v: '2' });
    for (const fields of [badJson, noVersion, futureVersion, ['junk', 'only']])
      await addRaw(client, queue, fields);
    await app.worker(queue).start();

    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 4, 'four dead letters');
    expect(handled).toEqual([]);
    expect(broken.map((message) => message.id)).toEqual(['bad-json', 'no-v', 'v2', undefined]);
    expect(broken[0].error).toBeInstanceOf(InvalidPayloadError);
    expect(broken[1].error.message).toMatch(/schema version/);
    expect(broken[2].error.message).toMatch(/unknown schema version "2"/);
    expect(broken[3].raw).toEqual({ junk: 'only' });
    const letters = await records(client, keysOf(queue).dead);
    expect(letters.map((letter) => letter.reason)).toEqual(['broken', 'broken', 'broken', 'broken']);
    expect(letters[0]).toMatchObject({ id: 'bad-json', payload: '{not json', attempts: '0' });
    expect(letters[3]).toMatchObject({ junk: 'only', reason: 'broken' });
    await expect(pendingCount(client, queue)).resolves.toBe(0);
    await expect(stats(client, queue)).resolves.toEqual({ broken: 4 });
  });

  it('keeps the payload byte-identical through a retry and the dead-letter copy (contract 2)', async () => {
    const queue = uniqueQueue();
    const attempts: number[] = [];
    @QueueWorker(queue, { maxRetries: 1, backoff: 5, trimAcked: false })
    class FailingWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        attempts.push(message.attempt);
        throw new Error('fail');
      }
    }
    const { client } = await apps.boot([FailingWorker]);
    const fields = envelopeFields(TRICKY_PAYLOAD, { id: 'tricky' });
    await addRaw(client, queue, fields);
    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');

    const expected = Buffer.from(TRICKY_PAYLOAD);
    const payloadOf = (entry: Buffer[]): Buffer =>
      entry[entry.findIndex((field) => field.toString() === 'payload') + 1];
    const streamEntries = await client.xrangeBuffer(keysOf(queue).stream, '-', '+');
    expect(streamEntries).toHaveLength(2); // the original and the retry copy
    for (const [, entry] of streamEntries) expect(payloadOf(entry).equals(expected)).toBe(true);
    const [[, letter]] = await client.xrangeBuffer(keysOf(queue).dead, '-', '+');
    expect(payloadOf(letter).equals(expected)).toBe(true);
    expect(attempts).toEqual([1, 2]);
    // The retry copy is the original with only `attempt` changed and `firstAttempt` added.
    const retried = (await records(client, keysOf(queue).stream))[1];
    expect(retried).toEqual({ ...Object.fromEntries(fieldsPairs(fields)), attempt: '2', firstAttempt: '1' });
  });
});

describe('broken, expired and byte-exact messages on the list transport only (real Valkey)', () => {
  it('bad JSON pushed raw reaches @OnBroken, then the dead-letter stream with the element in `raw`', async () => {
    const queue = uniqueQueue('list');
    const { CollectingWorker, handled, broken } = collector(queue, LIST.worker);
    const app = await apps.boot([CollectingWorker], LIST.app);
    const { client } = app;
    const keys = keysOf(queue);
    const good = listElement('{"ok":true}');
    await client.lpush(keys.list, '{not json', listElement('{broken payload'), good);
    await app.worker(queue).start();
    await waitFor(async () => (await client.xlen(keys.dead)) === 2 && handled.length === 1, 'the outcomes');
    expect(broken.map((message) => message.raw)).toEqual([
      { raw: '{not json' },
      expect.objectContaining({ payload: '{broken payload' }),
    ]);
    expect(broken[0].id).toBeUndefined();
    expect(broken[0].error.message).toMatch(/schema version/);
    expect(broken[1].error).toBeInstanceOf(InvalidPayloadError);
    const letters = await records(client, keys.dead);
    expect(letters[0]).toMatchObject({
      raw: '{not json',
      reason: 'broken',
      attempts: '0',
      sourceId: keys.list,
    });
    expect(letters[1]).toMatchObject({ payload: '{broken payload', reason: 'broken' });
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
    await expect(stats(client, queue)).resolves.toEqual({ broken: 2, processed: 1 });
    await expect(LIST.inFlight(client, queue)).resolves.toBe(0);
  });

  it('keeps the payload byte-identical through a retry and the dead-letter copy', async () => {
    const queue = uniqueQueue('list');
    const seen: string[] = [];
    const dead = deferred<void>();
    @QueueWorker(queue, {
      transport: 'list',
      maxRetries: 1,
      backoff: 10,
      codec: { encode: String, decode: (text: string) => text },
    })
    class RawWorker {
      @OnMessage() async handle(message: QueueMessage<string>): Promise<void> {
        seen.push(message.payload);
        throw new Error('again');
      }
      @OnDead() async dead(): Promise<void> {
        dead.resolve();
      }
    }
    const { client } = await apps.boot([RawWorker], LIST.app);
    const keys = keysOf(queue);
    await client.lpush(keys.list, listElement(TRICKY_PAYLOAD));
    await dead.promise;
    await waitFor(async () => (await client.xlen(keys.dead)) === 1, 'the dead letter');
    expect(seen).toEqual([TRICKY_PAYLOAD, TRICKY_PAYLOAD]);
    const [letter] = await records(client, keys.dead);
    expect(letter.payload).toBe(TRICKY_PAYLOAD);
  });
});

function fieldsPairs(fields: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let index = 0; index + 1 < fields.length; index += 2) pairs.push([fields[index], fields[index + 1]]);
  return pairs;
}
