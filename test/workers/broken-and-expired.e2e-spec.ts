import type { TestingModule } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import {
  InvalidPayloadError,
  OnBroken,
  OnDead,
  OnMessage,
  QueueSender,
  QueueWorker,
  type BrokenMessage,
  type DeadMessage,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { useValkey } from '../utils/use-valkey.js';
import {
  addRaw,
  bootWorkers,
  clientOf,
  envelopeFields,
  keysOf,
  pendingCount,
  records,
  stats,
  TRICKY_PAYLOAD,
  uniqueQueue,
  waitFor,
  workerOf,
} from './worker-test-kit.js';

class OrderDto {
  @IsInt() @Min(1) orderId!: number;
  @IsString() customer!: string;
}

describe('broken, expired and byte-exact messages (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule | undefined;
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  /** A worker collecting handled, broken and dead messages, for `queue` with `options`. */
  const collector = (queue: string, options: Parameters<typeof QueueWorker>[1] = {}) => {
    const handled: QueueMessage[] = [];
    const broken: BrokenMessage[] = [];
    const dead: DeadMessage[] = [];
    @QueueWorker(queue, { autoStart: false, ...options })
    class CollectingWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.push(message);
      }
      @OnBroken() async broken(message: BrokenMessage): Promise<void> {
        broken.push(message);
      }
      @OnDead() async dead(message: DeadMessage): Promise<void> {
        dead.push(message);
      }
    }
    return { CollectingWorker, handled, broken, dead };
  };

  it('bad JSON, a missing or unknown schema version are broken: @OnBroken, then the DLQ with reason broken', async () => {
    const queue = uniqueQueue();
    const { CollectingWorker, handled, broken } = collector(queue);
    moduleRef = await bootWorkers(valkey().url, [CollectingWorker]);
    const client = clientOf(moduleRef);
    const badJson = envelopeFields('{not json', { id: 'bad-json' });
    const noVersion = envelopeFields('{}', { id: 'no-v' }).slice(2);
    const futureVersion = envelopeFields('{}', { id: 'v2', v: '2' });
    for (const fields of [badJson, noVersion, futureVersion, ['junk', 'only']])
      await addRaw(client, queue, fields);
    await workerOf(moduleRef, queue).start();

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

  it('a payload failing DTO validation is broken and never retried; a valid one arrives as a DTO instance', async () => {
    const queue = uniqueQueue();
    const { CollectingWorker, handled, broken } = collector(queue, { payload: OrderDto, maxRetries: 5 });
    moduleRef = await bootWorkers(valkey().url, [CollectingWorker]);
    const sender = moduleRef.get(QueueSender);
    await sender.send(queue, { orderId: 0, customer: 42 });
    await sender.send(queue, { orderId: 7, customer: 'ada' });
    await workerOf(moduleRef, queue).start();
    const client = clientOf(moduleRef);
    await waitFor(async () => handled.length === 1 && (await client.xlen(keysOf(queue).dead)) === 1, 'both');

    expect(handled[0].payload).toBeInstanceOf(OrderDto);
    expect(handled[0].payload).toEqual({ orderId: 7, customer: 'ada' });
    expect(broken).toHaveLength(1);
    expect(broken[0].error.message).toMatch(/orderId: orderId must not be less than 1/);
    expect(broken[0].error.message).toMatch(/customer: customer must be a string/);
    const [letter] = await records(client, keysOf(queue).dead);
    expect(letter.reason).toBe('broken');
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
    await expect(stats(client, queue)).resolves.toEqual({ broken: 1, processed: 1 });
  });

  it('an expired message (ttl 50 ms, worker started later) is not handled: DLQ with reason expired', async () => {
    const queue = uniqueQueue();
    const { CollectingWorker, handled, dead } = collector(queue);
    moduleRef = await bootWorkers(valkey().url, [CollectingWorker]);
    const sender = moduleRef.get(QueueSender);
    const a = await sender.send(queue, 'A', { ttl: 50 });
    const b = await sender.send(queue, 'B');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the scenario: start the worker after 100 ms
    await workerOf(moduleRef, queue).start();
    const client = clientOf(moduleRef);
    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1 && handled.length === 1, 'both');

    expect(handled.map((message) => message.id)).toEqual([b.id]);
    expect(dead).toEqual([]);
    const [letter] = await records(client, keysOf(queue).dead);
    expect(letter).toMatchObject({ id: a.id, reason: 'expired' });
    expect(letter.error).toMatch(/^expired at /);
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
    await expect(stats(client, queue)).resolves.toEqual({ expired: 1, processed: 1 });
  });

  it('with deadLetterExpired false, an expired message is acked and counted only', async () => {
    const queue = uniqueQueue();
    const { CollectingWorker, handled } = collector(queue, { deadLetterExpired: false });
    moduleRef = await bootWorkers(valkey().url, [CollectingWorker]);
    const client = clientOf(moduleRef);
    await addRaw(client, queue, envelopeFields('1', { expiresAt: String(Date.now() - 1) }));
    await workerOf(moduleRef, queue).start();
    await waitFor(async () => (await stats(client, queue)).expired === 1, 'the expired counter');
    expect(handled).toEqual([]);
    await expect(client.xlen(keysOf(queue).dead)).resolves.toBe(0);
    await expect(pendingCount(client, queue)).resolves.toBe(0);
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
    moduleRef = await bootWorkers(valkey().url, [FailingWorker]);
    const client = clientOf(moduleRef);
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

function fieldsPairs(fields: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let index = 0; index + 1 < fields.length; index += 2) pairs.push([fields[index], fields[index + 1]]);
  return pairs;
}
