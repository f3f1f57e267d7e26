import { TimeoutError } from '../utils/with-timeout.util.js';

const noop = (): void => undefined;

/**
 * The deadline of one send call: its `timeout`, and the caller's AbortSignal. `race(work)` rejects
 * when either fires (with `TimeoutError`, or the signal's reason), so an in-flight command can be
 * raced against it; `dispose()` clears the timer and the listener.
 * @internal
 */
export class CallDeadline {
  /** Why the call must stop, once it must. */
  reason: unknown;
  private readonly expiresAt: number;
  private readonly timer: NodeJS.Timeout;
  private reject: (reason: unknown) => void = noop;

  constructor(
    timeoutMs: number,
    what: string,
    private readonly signal?: AbortSignal,
  ) {
    this.expiresAt = performance.now() + timeoutMs;
    this.timer = setTimeout(() => this.stop(new TimeoutError(timeoutMs, what)), timeoutMs);
    if (signal) {
      if (signal.aborted) this.stop(signal.reason);
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** True once the call must stop. */
  get expired(): boolean {
    return this.reason !== undefined;
  }

  /** Milliseconds left (0 once expired). */
  get remaining(): number {
    return this.expired ? 0 : Math.max(0, this.expiresAt - performance.now());
  }

  /**
   * Settles like `work`, or rejects as soon as the deadline fires. One promise per call, not
   * `Promise.race` over a second one: this runs once per send.
   */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.expired) {
      work.catch(noop);
      return Promise.reject(this.reason);
    }
    return new Promise<T>((resolve, reject) => {
      this.reject = reject;
      work.then(resolve, reject);
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  private readonly onAbort = (): void => {
    this.stop(this.signal?.reason);
  };

  private stop(reason: unknown): void {
    if (this.expired) return;
    this.reason = reason ?? new Error('The send was aborted');
    this.reject(this.reason);
  }
}

/** Sleeps `ms`, or rejects with the signal's reason if it aborts first. @internal */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
