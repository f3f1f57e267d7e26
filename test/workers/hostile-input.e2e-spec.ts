import { Logger } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import {
  OnBroken,
  OnMessage,
  QueueSender,
  QueueWorker,
  WorkerRegistry,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { bytes, copiedFields, envelopeBytes, randomNotUtf8, streamBytes } from './invalid-bytes-kit.js';
import { inFlightCount } from './list-test-kit.js';
import { bootWorkers, keysOf, pendingCount, stats, uniqueQueue, waitFor } from './worker-test-kit.js';

/** Malformed entries per transport (10 000 in all), and one valid message after every this many. */
const MALFORMED_PER_TRANSPORT = 5_000;
const VALID_EVERY = 20;
/** Fixed, so a failure names the same entries on every run. */
const SEED = 20_20;

/** Deep nesting: `depth` arrays or objects inside each other, as JSON text. */
const nested = (depth: number, object: boolean): string =>
  object ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);

/** A bogus `priority` field (no priority is defined for the wire format: it is carried, never read). */
const bogusPriority = fc.option(
  fc.constantFrom('-1', 'high', '1e309', '', '99999999999999999999', '\u0000'),
  {
    nil: undefined,
  },
);

/** One bogus value for a numeric envelope field. */
const notACount = fc.constantFrom('abc', '-1', '1.5', '1e3', '', ' 1', '0x10', '99999999999999999999', 'NaN');

/**
 * Stream entries that must end broken: each breaks one rule of the wire format (docs/key-layout.md)
 * or is another library's format altogether, sometimes with a bogus `priority` field on top.
 */
const malformedStreamEntry: fc.Arbitrary<Buffer[]> = fc
  .tuple(
    fc.oneof(
      fc.string().map((text) => [['payload', `not json: ${text}`]]),
      fc.constantFrom('v', 'id', 'payload', 'createdAt', 'attempt').map((field) => [[field, null]]),
      fc
        .string({ minLength: 1 })
        .filter((version) => version !== '1')
        .map((version) => [['v', version]]),
      notACount.map((value) => [['attempt', value]]),
      notACount.map((value) => [['createdAt', value]]),
      notACount.map((value) => [['expiresAt', value]]),
      fc.constant([
        ['attempt', '2'],
        ['firstAttempt', '5'],
      ]),
      fc
        .constantFrom('[1]', '"text"', '{"a":1}', 'not json', nested(5_000, false), nested(2_000, true))
        .map((headers) => [['headers', headers]]),
      fc.constantFrom('{"BAD KEY":"x"}', 'not json', '[]').map((labels) => [['labels', labels]]),
      fc
        .uint8Array({ minLength: 1, maxLength: 64 })
        .map((array) => [['payload', bytes(Buffer.from([0xff]), Buffer.from(array))]]),
      fc.constant('other format'),
    ),
    bogusPriority,
    fc.nat(),
  )
  .map(([breakage, priority, sequence]) => {
    if (breakage === 'other format') {
      // A BullMQ job hash written as stream fields, or a raw single-field message.
      return sequence % 2 === 0
        ? [
            'name',
            'job',
            'data',
            '{"n":1}',
            'opts',
            '{"attempts":3}',
            'timestamp',
            '1700000000000',
            'delay',
            '0',
          ]
            .concat(priority === undefined ? [] : ['priority', priority])
            .map((field) => bytes(field))
        : [bytes('message'), bytes(`raw ${sequence}`)];
    }
    const fields = envelopeBytes(`hostile-${sequence}`, []);
    const pairs: [string, Buffer][] = [];
    for (let index = 0; index < fields.length; index += 2)
      pairs.push([fields[index].toString(), fields[index + 1]]);
    const byName = new Map(pairs);
    for (const [name, value] of breakage as [string, string | Buffer | null][]) {
      if (value === null) byName.delete(name);
      else byName.set(name, bytes(value));
    }
    if (priority !== undefined) byName.set('priority', bytes(priority));
    return [...byName].flatMap(([name, value]) => [bytes(name), value]);
  });

/** List elements that must end broken: not JSON, binary, JSON that is not an envelope object, other formats. */
const malformedListElement: fc.Arbitrary<Buffer> = fc.oneof(
  fc.string().map((text) => bytes(`raw ${text}`)),
  fc.uint8Array({ maxLength: 64 }).map((array) => bytes(Buffer.from([0xff]), Buffer.from(array))),
  fc
    .constantFrom('42', '"text"', 'null', 'true', '[]', '[{"v":"1"}]', nested(5_000, false))
    .map((json) => bytes(json)),
  fc
    .record({ name: fc.string(), data: fc.object(), opts: fc.constant({ attempts: 3 }), timestamp: fc.nat() })
    .map((job) => bytes(JSON.stringify(job))),
  fc
    .tuple(fc.constantFrom('v', 'id', 'payload', 'createdAt', 'attempt'), bogusPriority, fc.nat())
    .map(([missing, priority, sequence]) => {
      const element: Record<string, unknown> = {
        v: '1',
        id: `hostile-list-${sequence}`,
        payload: '{"n":1}',
        headers: {},
        createdAt: Date.now(),
        attempt: 1,
      };
      delete element[missing];
      if (priority !== undefined) element.priority = priority;
      return bytes(JSON.stringify(element));
    }),
  fc.tuple(notACount, fc.nat()).map(([attempt, sequence]) =>
    bytes(
      JSON.stringify({
        v: '1',
        id: `bad-attempt-${sequence}`,
        payload: '1',
        headers: {},
        createdAt: 1,
        attempt,
      }),
    ),
  ),
);

/** `count` values of `arbitrary`, the same ones for the same seed. */
const sample = <T>(arbitrary: fc.Arbitrary<T>, count: number, seed: number): T[] =>
  fc.sample(arbitrary, { numRuns: count, seed });

const hex = (values: readonly Buffer[]): string[] => values.map((value) => value.toString('hex')).sort();

/**
 * Hostile input: 10 000 malformed entries written straight into a stream and a list, interleaved
 * with valid messages. Every malformed entry ends once in the dead-letter stream as broken with its
 * stored bytes; every valid message is handled exactly once; the worker keeps running.
 */
describe('hostile input: 10 000 malformed entries among valid messages (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule | undefined;
  let client: Redis;
  // 10 000 broken messages would log 10 000 errors.
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));
  beforeEach(() => {
    client = rawClient(valkey().url);
  });
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await client.quit();
  });

  const boot = async (queue: string, transport: 'stream' | 'list') => {
    const handled: string[] = [];
    @QueueWorker(queue, { transport, concurrency: 50, batchSize: 200, deadLetterMaxLen: 100_000 })
    class HostileInputWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.push(message.id);
      }
      @OnBroken() async broken(): Promise<void> {}
    }
    moduleRef = await bootWorkers(valkey().url, [HostileInputWorker], { sender: { transport } });
    return { handled, sender: moduleRef.get(QueueSender), registry: moduleRef.get(WorkerRegistry) };
  };

  /** Writes the malformed values in pipelines, with one valid message sent after every VALID_EVERY. */
  const interleave = async <T>(
    malformed: T[],
    write: (pipeline: ReturnType<Redis['pipeline']>, value: T) => void,
    sendValid: (index: number) => Promise<string>,
  ): Promise<string[]> => {
    const sent: string[] = [];
    for (let start = 0; start < malformed.length; start += VALID_EVERY) {
      const pipeline = client.pipeline();
      for (const value of malformed.slice(start, start + VALID_EVERY)) write(pipeline, value);
      await pipeline.exec();
      sent.push(await sendValid(start));
    }
    return sent;
  };
  /** Waits until all `total` messages of `queue` ended, each handled or broken. */
  const waitUntilEnded = (queue: string, total: number, what: string): Promise<void> =>
    waitFor(
      async () => {
        const counters = await stats(client, queue);
        return (counters.processed ?? 0) + (counters.broken ?? 0) === total;
      },
      what,
      60_000,
      100,
    );
  /** The dead letters in `dead`, after checking there are `count` of them, all broken. */
  const brokenLetters = async (dead: string, count: number) => {
    const letters = await streamBytes(client, dead);
    expect(letters).toHaveLength(count);
    expect(letters.every((letter) => letter.text('reason') === 'broken')).toBe(true);
    return letters;
  };

  it('stream: each malformed entry is one broken dead letter with its fields byte for byte; each valid one is handled once', async () => {
    const queue = uniqueQueue('hostile-stream');
    const keys = keysOf(queue);
    const malformed = sample(malformedStreamEntry, MALFORMED_PER_TRANSPORT - 5, SEED);
    // A few huge values: 1 MB payloads that are not UTF-8.
    for (let index = 0; index < 5; index++)
      malformed.push(envelopeBytes(`huge-${index}`, [['payload', randomNotUtf8(1 << 20)]]));
    const { handled, sender, registry } = await boot(queue, 'stream');

    const sent = await interleave(
      malformed,
      (pipeline, fields) => void pipeline.xadd(keys.stream, '*', ...fields),
      async (index) => (await sender.send(queue, { valid: index })).id,
    );

    await waitUntilEnded(queue, malformed.length + sent.length, 'every entry to end');
    const letters = await brokenLetters(keys.dead, malformed.length);
    const stored = (fields: Buffer[]): Buffer =>
      Buffer.concat(fields.flatMap((field) => [bytes(`${field.length}:`), field]));
    expect(hex(letters.map((letter) => stored(copiedFields(letter))))).toEqual(hex(malformed.map(stored)));
    expect(handled.sort()).toEqual(sent.sort());
    await expect(pendingCount(client, queue)).resolves.toBe(0);

    // Still up: a message sent now is handled.
    expect(registry.get(queue)!.running).toBe(true);
    const last = await sender.send(queue, { after: 'all of it' });
    await waitFor(() => handled.includes(last.id), 'a message sent afterwards to be handled');
  });

  it('list: each malformed element is one broken dead letter (kept whole when not a JSON object); each valid one is handled once', async () => {
    const queue = uniqueQueue('hostile-list');
    const keys = keysOf(queue);
    const malformed = sample(malformedListElement, MALFORMED_PER_TRANSPORT - 5, SEED);
    for (let index = 0; index < 5; index++) malformed.push(randomNotUtf8(1 << 20));
    const { handled, sender, registry } = await boot(queue, 'list');

    const sent = await interleave(
      malformed,
      (pipeline, element) => void pipeline.lpush(keys.list, element),
      async (index) => (await sender.send(queue, { valid: index })).id,
    );

    await waitUntilEnded(queue, malformed.length + sent.length, 'every element to end');
    const letters = await brokenLetters(keys.dead, malformed.length);
    // Elements that are not a JSON object are kept whole in `raw`, byte for byte.
    const isObject = (element: Buffer): boolean => {
      try {
        const parsed: unknown = JSON.parse(element.toString('utf8'));
        return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      } catch {
        return false;
      }
    };
    const whole = malformed.filter((element) => !element.includes(0xff) && isObject(element) === false);
    const binary = malformed.filter((element) => element.includes(0xff));
    const raws = letters.map((letter) => letter.get('raw')).filter((raw): raw is Buffer => raw !== undefined);
    expect(hex(raws)).toEqual(hex([...whole, ...binary]));
    expect(handled.sort()).toEqual(sent.sort());
    await expect(inFlightCount(client, queue)).resolves.toBe(0);
    await expect(client.llen(keys.list)).resolves.toBe(0);

    expect(registry.get(queue)!.running).toBe(true);
    const last = await sender.send(queue, { after: 'all of it' });
    await waitFor(() => handled.includes(last.id), 'a message sent afterwards to be handled');
  });
});
