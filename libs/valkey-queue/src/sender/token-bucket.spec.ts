import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  let clock: number;
  const bucket = (perSecond: number, burst: number): TokenBucket =>
    new TokenBucket(perSecond, burst, () => clock);
  beforeEach(() => {
    clock = 1_000;
  });

  it('allows a full burst at once, then paces at the sustained rate', () => {
    const limiter = bucket(10, 5);
    for (let i = 0; i < 5; i++) expect(limiter.reserve(1, 10_000)).toBe(0);
    expect(limiter.reserve(1, 10_000)).toBe(100); // one token every 100 ms
    expect(limiter.reserve(1, 10_000)).toBe(200); // queued behind the previous reservation
    clock += 200;
    expect(limiter.available()).toBeCloseTo(0);
    expect(limiter.reserve(1, 10_000)).toBe(100);
  });

  it('refills up to the burst size only', () => {
    const limiter = bucket(10, 5);
    expect(limiter.reserve(5, 0)).toBe(0);
    clock += 60_000;
    expect(limiter.available()).toBe(5);
  });

  it('refuses, without taking anything, a wait longer than the budget', () => {
    const limiter = bucket(10, 1);
    expect(limiter.reserve(1, 0)).toBe(0);
    expect(limiter.reserve(1, 99)).toBe(-1);
    expect(limiter.reserve(1, 100)).toBe(100);
    expect(limiter.reserve(1, 150)).toBe(-1);
    expect(limiter.available()).toBe(-1);
  });

  it('lets a request larger than the bucket through at the sustained rate, as debt', () => {
    const limiter = bucket(1_000, 100);
    expect(limiter.reserve(1_000, 5_000)).toBe(0); // the bucket was full
    expect(limiter.available()).toBe(-900);
    expect(limiter.reserve(100, 5_000)).toBe(1_000); // 900 owed + 100 for itself
  });

  it('gives refunded tokens back, capped at the burst', () => {
    const limiter = bucket(10, 5);
    expect(limiter.reserve(5, 0)).toBe(0);
    expect(limiter.reserve(3, 10_000)).toBe(300);
    limiter.refund(3);
    expect(limiter.available()).toBe(0);
    limiter.refund(50);
    expect(limiter.available()).toBe(5);
  });
});
