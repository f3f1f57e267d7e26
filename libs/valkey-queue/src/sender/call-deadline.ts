import { TimeoutError } from '../utils/with-timeout.util.js';
import { DeadlineQueues, type DeadlineEntry, type DeadlineQueue } from './deadline-queue.js';

const noop = (): void => undefined;

/** Every pending send deadline of the process, one timer per duration (see DeadlineQueue). */
const deadlines = new DeadlineQueues<CallDeadline>((deadline) => deadline.timedOut());

/**
 * The deadline of one send call: its `timeout`, and the caller's AbortSignal. `race(work)` rejects
 * when either fires (with `TimeoutError`, or the signal's reason), so an in-flight command can be
 * raced against it; `dispose()` cancels the deadline and removes the listener.
 * @internal
 */
export class CallDeadline {
  /** Why the call must stop, once it must. */
  reason: unknown;
  private readonly entry: DeadlineEntry<CallDeadline>;
  private reject: (reason: unknown) => void = noop;
  private onAbort: (() => void) | undefined;

  constructor(
    private readonly timeoutMs: number,
    /** What the call does, for the timeout's message (built only if it fires). */
    private readonly what: () => string,
    private readonly signal?: AbortSignal,
  ) {
    this.entry = deadlines.add(timeoutMs, this);
    if (signal) {
      if (signal.aborted) this.stop(signal.reason);
      else {
        this.onAbort = () => this.stop(signal.reason);
        signal.addEventListener('abort', this.onAbort, { once: true });
      }
    }
  }

  /** True once the call must stop. */
  get expired(): boolean {
    return this.reason !== undefined;
  }

  /** Milliseconds left (0 once expired). */
  get remaining(): number {
    return this.expired ? 0 : Math.max(0, this.entry.expiresAt - performance.now());
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
    deadlines.cancel(this.timeoutMs, this.entry);
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
  }

  /** The timeout passed (called by the deadline queue). */
  timedOut(): void {
    this.stop(new TimeoutError(this.timeoutMs, this.what()));
  }

  private stop(reason: unknown): void {
    if (this.expired) return;
    this.reason = reason ?? new Error('The send was aborted');
    this.reject(this.reason);
  }
}

/** The deadline queue of `ms`, while one exists (for tests). @internal */
export function sendDeadlines(ms: number): DeadlineQueue<CallDeadline> | undefined {
  return deadlines.get(ms);
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
