import { isUtf8 } from 'node:buffer';
import type { TestingModule } from '@nestjs/testing';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { OnMessage, QueueSender, QueueWorker, type QueueMessage } from 'nestjs-valkey-queue';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import {
  bytes,
  copiedFields,
  envelopeBytes,
  sameBytes,
  streamBytes,
  type DeadLetterBytes,
} from './invalid-bytes-kit.js';
import { inFlightCount, listKeysOf } from './list-test-kit.js';
import { bootWorkers, keysOf, pendingCount, stats, uniqueQueue, waitFor } from './worker-test-kit.js';

/** Runs per property: each pushes a batch and waits for every message to end (a few seconds together). */
const RUNS = 50;
/** Runs share one queue and its counters, so a shrunk rerun would not start clean: stop at the first failure. */
const RUN_OPTIONS = { numRuns: RUNS, endOnFailure: true };

/** Whether bytes are UTF-8 text holding a JSON object (a list element the worker reads as fields). */
const isJsonObject = (element: Buffer): boolean => {
  if (!isUtf8(element)) return false;
  try {
    const parsed: unknown = JSON.parse(element.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
};

/** Messages that ended (handled, dead-lettered or expired), from the worker counters. */
async function ended(client: Redis, queue: string): Promise<number> {
  const counters = await stats(client, queue);
  return (counters.processed ?? 0) + (counters.broken ?? 0) + (counters.dead ?? 0) + (counters.expired ?? 0);
}

/** Dead letters written after `seen` of them were already there. */
const newLetters = async (client: Redis, key: string, seen: number): Promise<DeadLetterBytes[]> =>
  (await streamBytes(client, key)).slice(seen);

/**
 * Arbitrary bytes as list elements and as stream field values: every message ends exactly once,
 * the ones that are not UTF-8 text as broken dead letters holding their bytes, and nothing stays
 * in flight or pending (contract items 22 and 27).
 */
describe('arbitrary bytes as messages (property, real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule | undefined;
  let client: Redis;
  beforeEach(() => {
    client = rawClient(valkey().url);
  });
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await client.quit();
  });

  /** A worker recording the entry ids it handled. */
  const recorder = (queue: string, transport: 'stream' | 'list') => {
    const handled: string[] = [];
    @QueueWorker(queue, { transport, concurrency: 10 })
    class RecordingWorker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.push(message.entryId);
      }
    }
    return { RecordingWorker, handled };
  };

  it('list elements: each that is not a JSON object ends once as a broken dead letter whose raw is its bytes', async () => {
    const queue = uniqueQueue('prop-list');
    const keys = listKeysOf(queue);
    const { RecordingWorker, handled } = recorder(queue, 'list');
    moduleRef = await bootWorkers(valkey().url, [RecordingWorker], { sender: { transport: 'list' } });
    const sender = moduleRef.get(QueueSender);
    const anyBytes = fc.uint8Array({ maxLength: 200 }).map((array) => Buffer.from(array));
    const insideString = anyBytes.map((inner) =>
      bytes(
        '{"v":"1","id":"p","payload":"\\"',
        inner,
        Buffer.from([0xff]),
        '\\"","headers":{},"createdAt":1,"attempt":1}',
      ),
    );
    const element = fc.oneof(anyBytes, insideString).filter((candidate) => !isJsonObject(candidate));
    let total = 0;
    let letters = 0;
    let runs = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(element, { minLength: 1, maxLength: 6 }), async (elements) => {
        await client.lpush(keys.list, ...elements);
        await sender.send(queue, { valid: total });
        total += elements.length + 1;
        runs += 1;
        await waitFor(async () => (await ended(client, queue)) === total, 'every message to end', 10_000);
        const written = await newLetters(client, keys.dead, letters);
        letters += written.length;
        expect(written).toHaveLength(elements.length);
        const raws = written.map((letter) => letter.get('raw')!);
        for (const letter of written) expect(letter.text('reason')).toBe('broken');
        // Byte for byte, as a multiset: the same element pushed twice ends twice.
        const order = (values: Buffer[]) => values.map((value) => value.toString('hex')).sort();
        expect(order(raws)).toEqual(order(elements));
        expect(handled).toHaveLength(runs); // the valid message of each run, once
        await expect(inFlightCount(client, queue)).resolves.toBe(0);
        await expect(client.llen(keys.list)).resolves.toBe(0);
      }),
      RUN_OPTIONS,
    );
    expect(new Set(handled).size).toBe(handled.length); // no message handled twice
  });

  it('stream field values: an entry with a value that is not UTF-8 ends once as a byte-identical broken dead letter; any other ends once', async () => {
    const queue = uniqueQueue('prop-stream');
    const keys = keysOf(queue);
    const { RecordingWorker, handled } = recorder(queue, 'stream');
    moduleRef = await bootWorkers(valkey().url, [RecordingWorker]);
    const field = fc.constantFrom(
      'id',
      'payload',
      'headers',
      'attempt',
      'createdAt',
      'expiresAt',
      'dedupKey',
    );
    const value = fc.uint8Array({ maxLength: 200 }).map((array) => Buffer.from(array));
    let total = 0;
    let letters = 0;
    let sequence = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 6 }), async (changes) => {
        const entries = new Map<string, Buffer[]>();
        for (const [name, bytesValue] of changes) {
          sequence += 1;
          const fields = envelopeBytes(`p-${sequence}`, [[name, bytesValue]]);
          entries.set((await client.xadd(keys.stream, '*', ...fields))!, fields);
        }
        total += entries.size;
        await waitFor(async () => (await ended(client, queue)) === total, 'every entry to end', 10_000);
        await expect(pendingCount(client, queue)).resolves.toBe(0);
        const written = await newLetters(client, keys.dead, letters);
        letters += written.length;
        const bySource = new Map(written.map((letter) => [letter.text('sourceId')!, letter]));
        expect(bySource.size).toBe(written.length); // one dead letter per entry at most
        changes.forEach(([, bytesValue], index) => {
          const entryId = [...entries.keys()][index];
          const letter = bySource.get(entryId);
          const times = handled.filter((handledId) => handledId === entryId).length;
          expect(times + (letter ? 1 : 0)).toBe(1); // handled once, or dead-lettered once
          if (isUtf8(bytesValue)) return;
          expect(times).toBe(0);
          expect(letter?.text('reason')).toBe('broken');
          expect(sameBytes(copiedFields(letter!), entries.get(entryId)!)).toBe(true);
        });
      }),
      RUN_OPTIONS,
    );
  });
});
