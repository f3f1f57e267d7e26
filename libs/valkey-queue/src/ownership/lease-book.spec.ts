import { jest } from '@jest/globals';
import { LeaseBook, type HeldLease, type LossReason } from './lease-book.js';
import type { LeaseRef, OwnershipStore } from './ownership-store.js';

const TIMING = { leaseTtl: 3_000, heartbeatInterval: 1_000, safetyMargin: 300 };

/** A store whose renew() answers with `answer(leases)` (statuses, a rejection, or never). */
function stubStore(answer: (leases: readonly LeaseRef[]) => Promise<number[]>) {
  const calls: string[][] = [];
  const store = {
    owner: 'me',
    renew: (leases: readonly LeaseRef[]) => {
      calls.push(leases.map(({ value }) => value));
      return answer(leases);
    },
  } as unknown as OwnershipStore;
  return { store, calls };
}

describe('LeaseBook', () => {
  let lost: [string, number, LossReason][];
  let book: LeaseBook | undefined;
  const open = (store: OwnershipStore): LeaseBook => {
    book = new LeaseBook(store, TIMING, (lease: HeldLease, reason) =>
      lost.push([lease.stream, lease.token, reason]),
    );
    book.start();
    return book;
  };

  beforeEach(() => {
    jest.useFakeTimers();
    lost = [];
  });
  afterEach(async () => {
    // stop() waits for a renewal in flight, bounded by the heartbeat interval.
    const stopped = book?.stop();
    await jest.advanceTimersByTimeAsync(TIMING.heartbeatInterval);
    await stopped;
    book = undefined;
    jest.useRealTimers();
  });

  it('renews every heartbeat, batching all leases, and keeps them as long as renewals succeed', async () => {
    const { store, calls } = stubStore(async (leases) => leases.map(() => 1));
    const leases = open(store);
    leases.hold('a', 1, Date.now());
    leases.hold('b', 4, Date.now());
    await jest.advanceTimersByTimeAsync(10 * TIMING.leaseTtl);
    expect(calls.length).toBe(30);
    expect(calls[0]).toEqual(['me:1', 'me:4']);
    expect(lost).toEqual([]);
    expect(leases.get('a')!.expiresAt).toBeGreaterThan(Date.now());
  });

  it.each([
    [0, 'lapsed'],
    [-1, 'taken'],
  ])(
    'reports a lease lost once when a renewal answers %i (%s), and stops renewing it',
    async (status, reason) => {
      const { store, calls } = stubStore(async (leases) =>
        leases.map((lease) => (lease.stream === 'a' ? status : 1)),
      );
      const leases = open(store);
      const held = leases.hold('a', 1, Date.now());
      leases.hold('b', 2, Date.now());
      await jest.advanceTimersByTimeAsync(TIMING.heartbeatInterval * 3);
      expect(lost).toEqual([['a', 1, reason]]);
      expect(held.controller.signal.aborted).toBe(true);
      expect(leases.streams()).toEqual(['b']);
      expect(calls.at(-1)).toEqual(['me:2']);
    },
  );

  it('retries a failed renewal soon and reports nothing when the retry succeeds before the deadline', async () => {
    let failures = 1;
    const { store, calls } = stubStore(async (leases) => {
      if (failures-- > 0) throw new Error('ECONNRESET');
      return leases.map(() => 1);
    });
    const leases = open(store);
    leases.hold('a', 1, Date.now());
    await jest.advanceTimersByTimeAsync(TIMING.heartbeatInterval + TIMING.heartbeatInterval / 4 + 1);
    expect(calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(5 * TIMING.leaseTtl);
    expect(lost).toEqual([]);
  });

  it('gives a lease up at expiresAt - safetyMargin when no renewal answers (server unreachable)', async () => {
    const { store } = stubStore(() => new Promise<number[]>(() => undefined));
    const leases = open(store);
    const takenAt = Date.now();
    leases.hold('a', 1, takenAt);
    await jest.advanceTimersByTimeAsync(TIMING.leaseTtl - TIMING.safetyMargin - 1);
    expect(lost).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(lost).toEqual([['a', 1, 'deadline']]);
    expect(Date.now() - takenAt).toBe(TIMING.leaseTtl - TIMING.safetyMargin);
  });

  it('after a stalled event loop, gives expired leases up before renewing anything', async () => {
    const { store, calls } = stubStore(async (leases) => leases.map(() => 1));
    const leases = open(store);
    leases.hold('a', 1, Date.now());
    // The loop was blocked for 5 s: the clock moved on, no timer ran; the heartbeat timer fires first.
    jest.setSystemTime(Date.now() + TIMING.leaseTtl + 2_000);
    await jest.advanceTimersByTimeAsync(TIMING.heartbeatInterval);
    expect(lost).toEqual([['a', 1, 'deadline']]);
    expect(calls.flat()).not.toContain('me:1');
  });

  it('reports a lease replaced by a newer one on the same stream, and ignores answers for dropped leases', async () => {
    let release!: (statuses: number[]) => void;
    const { store } = stubStore(() => new Promise<number[]>((resolve) => (release = resolve)));
    const leases = open(store);
    const first = leases.hold('a', 1, Date.now());
    await jest.advanceTimersByTimeAsync(TIMING.heartbeatInterval); // renewal of token 1 in flight
    leases.hold('a', 2, Date.now());
    expect(lost).toEqual([['a', 1, 'replaced']]);
    release([0]); // the late answer about token 1 must not touch token 2
    await jest.advanceTimersByTimeAsync(0);
    expect(first.controller.signal.aborted).toBe(true);
    expect(leases.get('a')?.token).toBe(2);
    expect(lost).toHaveLength(1);
  });
});
