import { jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { ConsumerTimers } from './consumer-timers.js';
import { InFlightSet } from './in-flight-set.js';
import type { MessageSource } from './message-source.interface.js';
import { resolveWorkerDefaults, resolveWorkerOptions } from '../config/worker-options.js';

const delivery = (entryId: string) => ({ entryId, fields: [], deliveries: 1 });

/** Runs one refresh tick with `refresh` as the source's answer; resolves the warnings logged. */
async function refreshOnce(
  held: InFlightSet,
  refresh: (ids: readonly string[]) => string[],
): Promise<string[]> {
  const warnings: string[] = [];
  const logger = { warn: (text: string) => void warnings.push(text), log: jest.fn(), debug: jest.fn() };
  let ticked!: () => void;
  const tick = new Promise<void>((resolve) => (ticked = resolve));
  const source = {
    refresh: async (ids: readonly string[]) => refresh(ids),
    cleanupConsumers: async () => 0,
  } as unknown as MessageSource;
  const options = resolveWorkerOptions(
    'Worker',
    'q',
    { claimIdle: 100, consumerIdleCleanup: 0 },
    resolveWorkerDefaults(undefined),
    {},
  );
  const timers = new ConsumerTimers(
    options,
    source,
    held,
    logger as unknown as Logger,
    (task) => void task.then(ticked),
  );
  timers.start();
  await tick;
  timers.stopRefreshing();
  return warnings;
}

describe('ConsumerTimers refresh', () => {
  it('refreshes every held message in one call (the source bounds its script calls)', async () => {
    const held = new InFlightSet();
    held.hold(Array.from({ length: 1_200 }, (_, index) => delivery(`${index}-0`)));
    const calls: number[] = [];
    await refreshOnce(held, (ids) => {
      calls.push(ids.length);
      return [];
    });
    expect(calls).toEqual([1_200]);
  });

  it('warns about messages reclaimed while their handler runs', async () => {
    const held = new InFlightSet();
    held.hold([delivery('1-0'), delivery('2-0')]);
    const warnings = await refreshOnce(held, () => ['2-0']);
    expect(warnings).toEqual([
      expect.stringMatching(/^1 messages of 'q' were reclaimed by another consumer/),
    ]);
  });

  it('stays silent when a message left only because its ack raced the refresh', async () => {
    const held = new InFlightSet();
    const [acked, written] = held.hold([delivery('1-0'), delivery('2-0')]);
    // Both handlers finished: one ack is being written, the other was written while the refresh ran.
    acked.outcome = 'queued';
    held.release(acked);
    const warnings = await refreshOnce(held, () => {
      written.outcome = 'queued';
      held.release(written);
      held.written(written);
      return ['1-0', '2-0'];
    });
    expect(warnings).toEqual([]);
  });
});
