import { DEFAULT_BACKOFF, isBackoff, MAX_RETRY_DELAY, retryDelay } from './backoff.js';

const error = new Error('boom');

describe('retryDelay', () => {
  it('uses a number as a fixed delay', () => {
    expect(retryDelay(250, 1, error)).toBe(250);
    expect(retryDelay(250, 7, error)).toBe(250);
  });

  it('doubles an exponential delay per attempt, capped at maxDelay', () => {
    const backoff = { type: 'exponential', delay: 1_000, maxDelay: 5_000 } as const;
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelay(backoff, attempt, error))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
  });

  it('defaults to 1 s doubling, capped at 10 minutes', () => {
    expect(retryDelay(DEFAULT_BACKOFF, 1, error)).toBe(1_000);
    expect(retryDelay(DEFAULT_BACKOFF, 10, error)).toBe(512_000);
    expect(retryDelay(DEFAULT_BACKOFF, 11, error)).toBe(600_000);
    expect(retryDelay(DEFAULT_BACKOFF, 1_000, error)).toBe(600_000);
  });

  it('keeps a fixed delay whatever the attempt', () => {
    expect(retryDelay({ type: 'fixed', delay: 300 }, 9, error)).toBe(300);
  });

  it('shortens by up to `jitter` of the delay, never lengthens', () => {
    const backoff = { type: 'fixed', delay: 1_000, jitter: 0.2 } as const;
    expect(retryDelay(backoff, 1, error, undefined, () => 0)).toBe(1_000);
    expect(retryDelay(backoff, 1, error, undefined, () => 0.5)).toBe(900);
    expect(retryDelay(backoff, 1, error, undefined, () => 0.999_999)).toBe(800);
  });

  it('calls a function with the attempt and the error', () => {
    const seen: [number, Error][] = [];
    expect(retryDelay((attempt, cause) => (seen.push([attempt, cause]), attempt * 10), 3, error)).toBe(30);
    expect(seen).toEqual([[3, error]]);
  });

  it('falls back to the default backoff when the function throws or returns garbage, and says why', () => {
    const reasons: string[] = [];
    const onInvalid = (reason: string) => reasons.push(reason);
    const throwing = () => {
      throw new Error('bad function');
    };
    expect(retryDelay(throwing, 2, error, onInvalid)).toBe(2_000);
    expect(retryDelay(() => Number.NaN, 1, error, onInvalid)).toBe(1_000);
    expect(retryDelay(() => -5, 1, error, onInvalid)).toBe(1_000);
    expect(retryDelay(() => '10' as unknown as number, 1, error, onInvalid)).toBe(1_000);
    expect(reasons).toHaveLength(4);
    expect(reasons[0]).toMatch(/threw: bad function/);
  });

  it('rounds and clamps to a schedulable range', () => {
    expect(retryDelay(10.6, 1, error)).toBe(11);
    expect(retryDelay(() => 1e15, 1, error)).toBe(MAX_RETRY_DELAY);
  });
});

describe('isBackoff', () => {
  it.each([
    0,
    100,
    { type: 'fixed', delay: 5 },
    { type: 'exponential', delay: 1, maxDelay: 9, jitter: 1 },
    () => 1,
  ])('accepts %p', (value) => expect(isBackoff(value)).toBe(true));
  it.each([
    -1,
    Number.NaN,
    Infinity,
    'fast',
    null,
    [],
    { type: 'linear', delay: 1 },
    { type: 'fixed' },
    { type: 'fixed', delay: -1 },
    { type: 'fixed', delay: 1, jitter: 2 },
    { type: 'fixed', delay: 1, extra: true },
  ])('refuses %p', (value) => expect(isBackoff(value)).toBe(false));
});
