import { jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { MAX_BATCH, MAX_FLUSH_FAILURES, OutcomeBatcher } from './outcome-batcher.js';

const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() } as unknown as Logger;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('OutcomeBatcher', () => {
  it('writes everything added in one event-loop turn with one call', async () => {
    const writes: number[][] = [];
    const settled: [number[], boolean][] = [];
    const batcher = new OutcomeBatcher<{ n: number }>(
      'acks',
      async (items) => void writes.push(items.map(({ n }) => n)),
      (items, ok) => void settled.push([items.map(({ n }) => n), ok]),
      logger,
    );
    for (let n = 0; n < 5; n += 1) batcher.add({ n });
    await nextTurn();
    await nextTurn();
    expect(writes).toEqual([[0, 1, 2, 3, 4]]);
    expect(settled).toEqual([[[0, 1, 2, 3, 4], true]]);
  });

  it('splits large batches into chunks of MAX_BATCH', async () => {
    const sizes: number[] = [];
    const batcher = new OutcomeBatcher<object>(
      'acks',
      async (items) => void sizes.push(items.length),
      () => undefined,
      logger,
    );
    for (let n = 0; n < MAX_BATCH * 2 + 1; n += 1) batcher.add({});
    await batcher.drain();
    expect(sizes).toEqual([MAX_BATCH, MAX_BATCH, 1]);
  });

  it('take() hands out at most MAX_BATCH items (one script call); the rest are written as usual', async () => {
    const sizes: number[] = [];
    const batcher = new OutcomeBatcher<object>(
      'acks',
      async (items) => void sizes.push(items.length),
      () => undefined,
      logger,
      true, // the read loop takes the items first, as for processed acks
    );
    for (let n = 0; n < MAX_BATCH + 7; n += 1) batcher.add({});
    expect(batcher.take()).toHaveLength(MAX_BATCH);
    expect(batcher.size).toBe(7);
    await batcher.drain();
    expect(sizes).toEqual([7]);
  });

  it('after take(), leaves items added later for the next take() instead of writing them a turn early', async () => {
    const writes: number[][] = [];
    const batcher = new OutcomeBatcher<{ n: number }>(
      'acks',
      async (items) => void writes.push(items.map(({ n }) => n)),
      () => undefined,
      logger,
      true, // the read loop takes the items first, as for processed acks
    );
    batcher.add({ n: 1 });
    await nextTurn();
    expect(batcher.take()).toEqual([{ n: 1 }]);
    // A reply that comes back within one turn: its outcome is added before the first write would have run.
    batcher.add({ n: 2 });
    await nextTurn();
    expect(writes).toEqual([]);
    expect(batcher.take()).toEqual([{ n: 2 }]);
    // Items nobody takes are still written, two turns after they were added.
    batcher.add({ n: 3 });
    await nextTurn();
    await nextTurn();
    expect(writes).toEqual([[3]]);
  });

  it('take() clears the write it voids instead of leaving its callbacks to run', async () => {
    const pendingImmediates = (): number =>
      process.getActiveResourcesInfo().filter((resource) => resource === 'Immediate').length;
    const batcher = new OutcomeBatcher<{ n: number }>(
      'acks',
      async () => undefined,
      () => undefined,
      logger,
      true,
    );
    const before = pendingImmediates();
    batcher.add({ n: 1 });
    expect(pendingImmediates()).toBe(before + 1);
    batcher.take();
    expect(pendingImmediates()).toBe(before);
    batcher.add({ n: 2 });
    await nextTurn(); // the first of its two turns has passed
    batcher.take();
    expect(pendingImmediates()).toBe(before);
  });

  it('keeps at most one write in flight, and coalesces what arrives meanwhile', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    let first = true;
    const batcher = new OutcomeBatcher<{ n: number }>(
      'acks',
      async (items) => {
        writes.push(items.map(({ n }) => n));
        if (first) {
          first = false;
          await new Promise<void>((resolve) => (release = resolve));
        }
      },
      () => undefined,
      logger,
    );
    batcher.add({ n: 1 });
    await nextTurn();
    batcher.add({ n: 2 });
    await nextTurn();
    batcher.add({ n: 3 });
    await nextTurn();
    expect(writes).toEqual([[1]]);
    release();
    await batcher.drain();
    expect(writes).toEqual([[1], [2, 3]]);
  });

  it('retries a failed write, then reports it written', async () => {
    let calls = 0;
    const settled: boolean[] = [];
    const batcher = new OutcomeBatcher<object>(
      'acks',
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('connection reset');
      },
      (_, ok) => void settled.push(ok),
      logger,
    );
    batcher.add({});
    await batcher.drain();
    expect(calls).toBe(2);
    expect(settled).toEqual([true]);
  });

  it('gives items up after MAX_FLUSH_FAILURES failed writes, reporting them not written', async () => {
    jest.useFakeTimers();
    try {
      let calls = 0;
      const settled: boolean[] = [];
      const batcher = new OutcomeBatcher<object>(
        'acks',
        async () => {
          calls += 1;
          throw new Error('down');
        },
        (_, ok) => void settled.push(ok),
        logger,
      );
      batcher.add({});
      for (let step = 0; step < MAX_FLUSH_FAILURES * 2 && settled.length === 0; step += 1) {
        await jest.runAllTimersAsync();
      }
      expect(calls).toBe(MAX_FLUSH_FAILURES);
      expect(settled).toEqual([false]);
      expect(batcher.size).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('drain gives up what still fails, so shutdown never hangs', async () => {
    const settled: boolean[] = [];
    const batcher = new OutcomeBatcher<object>(
      'acks',
      async () => {
        throw new Error('down');
      },
      (_, ok) => void settled.push(ok),
      logger,
    );
    batcher.add({});
    await batcher.drain(2);
    expect(settled).toEqual([false]);
  });
});
