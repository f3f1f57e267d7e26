/**
 * A token bucket (per process) that hands out reservations: tokens are taken at once and may go
 * into debt, and the caller waits until its share has been refilled. So waiters are served in
 * order, a batch larger than the bucket still goes through (at the sustained rate), and a wait
 * that cannot fit the caller's budget is refused up front instead of after sleeping through it.
 *
 * cockatiel (our resilience library) has no rate limiter, hence this small class.
 * @internal
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    /** Sustained rate: tokens added per second. */
    private readonly perSecond: number,
    /** Capacity: tokens saved up while idle. */
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  /**
   * Takes `count` tokens. Returns 0 when they are available now, otherwise how long to wait
   * (ms) before acting on them. Returns -1, taking nothing, when that wait would exceed `maxWaitMs`.
   * A request larger than the bucket waits for a full bucket and leaves the rest as debt.
   */
  reserve(count: number, maxWaitMs: number): number {
    this.refill();
    const needed = Math.min(count, this.burst);
    if (this.tokens >= needed) {
      this.tokens -= count;
      return 0;
    }
    const waitMs = Math.ceil(((needed - this.tokens) * 1000) / this.perSecond);
    if (waitMs > maxWaitMs) return -1;
    this.tokens -= count;
    return waitMs;
  }

  /** Gives back tokens of a reservation that was not used (the caller gave up waiting). */
  refund(count: number): void {
    this.refill();
    this.tokens = Math.min(this.burst, this.tokens + count);
  }

  /** Tokens available now (negative while in debt). For status and tests. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.updatedAt;
    this.updatedAt = now;
    if (elapsed > 0) this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
  }
}
