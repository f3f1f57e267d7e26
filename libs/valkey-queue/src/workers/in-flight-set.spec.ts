import { InFlightSet } from './in-flight-set.js';

const delivery = (entryId: string) => ({ entryId, fields: [], deliveries: 1 });
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('InFlightSet', () => {
  it('holds each entry once and counts its slot', () => {
    const held = new InFlightSet();
    expect(held.hold([delivery('1-0'), delivery('2-0')]).map((entry) => entry.entryId)).toEqual([
      '1-0',
      '2-0',
    ]);
    expect(held.hold([delivery('1-0'), delivery('3-0')]).map((entry) => entry.entryId)).toEqual(['3-0']);
    expect(held.active).toBe(3);
    expect(held.ids()).toEqual(['1-0', '2-0', '3-0']);
  });

  it('keeps an entry until its outcome is written, frees its slot at release', () => {
    const held = new InFlightSet();
    const [acked, failedClosed] = held.hold([delivery('1-0'), delivery('2-0')]);
    acked.outcome = 'queued';
    held.release(acked);
    held.release(failedClosed); // no outcome: forgotten at once (stays pending server-side)
    expect(held.active).toBe(0);
    expect(held.ids()).toEqual(['1-0']);
    expect(held.running()).toEqual([]);
    held.written(acked);
    expect(held.ids()).toEqual([]);
  });

  it('wakes a slot waiter one turn after a release, once for releases in the same turn', async () => {
    const held = new InFlightSet();
    const [first, second] = held.hold([delivery('1-0'), delivery('2-0'), delivery('3-0')]);
    let woken = 0;
    void held.slotFreed(new AbortController().signal).then(() => (woken += 1));
    held.release(first);
    held.release(second);
    await Promise.resolve();
    expect(woken).toBe(0);
    await turn();
    await turn();
    expect(woken).toBe(1);
  });

  it('wakes a slot waiter without waiting a turn once every slot is free', async () => {
    const held = new InFlightSet();
    const [only] = held.hold([delivery('1-0')]);
    let woken = 0;
    void held.slotFreed(new AbortController().signal).then(() => (woken += 1));
    held.release(only);
    await Promise.resolve();
    expect(woken).toBe(1);
  });

  it('ends a wait at once when the signal is already aborted, or on interrupt', async () => {
    const held = new InFlightSet();
    const aborted = new AbortController();
    aborted.abort();
    await expect(held.slotFreed(aborted.signal)).resolves.toBeUndefined();
    const waiting = held.slotFreed(new AbortController().signal);
    held.interrupt();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('withoutOutcome: only held entries whose handler runs with no outcome given', () => {
    const held = new InFlightSet();
    const [running, acked, written] = held.hold([delivery('1-0'), delivery('2-0'), delivery('3-0')]);
    acked.outcome = 'queued';
    held.release(acked);
    written.outcome = 'queued';
    held.release(written);
    held.written(written);
    expect(running.running).toBe(true);
    expect(held.withoutOutcome(['1-0', '2-0', '3-0', '4-0'])).toEqual(['1-0']);
  });
});
