/** The longest delay a Node timer takes as it is. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One pending deadline of a `DeadlineQueue`. @internal */
export interface DeadlineEntry<T> {
  /** Undefined once the entry left its queue (cancelled or expired). */
  target: T | undefined;
  readonly expiresAt: number;
  prev: DeadlineEntry<T> | undefined;
  next: DeadlineEntry<T> | undefined;
}

/**
 * Deadlines that all last `ms`, for things that start and settle at a high rate (one per send).
 * A Node timer per deadline costs a `Timeout`, a timer list created and dropped, and a libuv
 * re-arm per start and per clear whenever it is the only one of its duration. Deadlines of one
 * duration expire in the order they started, so they wait here in one linked list behind one
 * timer: adding and cancelling is a link and an unlink. The timer stays armed when the list
 * empties (unreferenced, so it holds no process open), fires at most once per `ms` for nothing,
 * and re-arms itself for the oldest deadline still pending. A deadline never fires early: the
 * list is checked against `performance.now()`.
 * @internal
 */
export class DeadlineQueue<T> {
  private head: DeadlineEntry<T> | undefined;
  private tail: DeadlineEntry<T> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Whether the timer holds the process open: exactly while a deadline is pending. */
  private referenced = false;

  constructor(
    readonly ms: number,
    private readonly expire: (target: T) => void,
    /** Called when the queue is empty and its timer is gone (a registry may forget it). */
    private readonly onIdle?: () => void,
  ) {}

  /** Starts the deadline of `target`: `expire(target)` runs `ms` from now unless cancelled. */
  add(target: T): DeadlineEntry<T> {
    const entry: DeadlineEntry<T> = {
      target,
      expiresAt: performance.now() + this.ms,
      prev: this.tail,
      next: undefined,
    };
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    if (!this.timer) this.arm(this.ms);
    if (!this.referenced) {
      this.referenced = true;
      this.timer!.ref();
    }
    return entry;
  }

  /** Cancels `entry` (no effect once it expired or was cancelled). */
  cancel(entry: DeadlineEntry<T>): void {
    if (entry.target === undefined) return;
    entry.target = undefined;
    this.unlink(entry);
    if (!this.head && this.referenced) {
      this.referenced = false;
      this.timer!.unref();
    }
  }

  /** Deadlines pending right now. */
  get size(): number {
    let count = 0;
    for (let entry = this.head; entry; entry = entry.next) count++;
    return count;
  }

  /** Whether the queue's timer exists (armed, referenced or not). */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  private unlink(entry: DeadlineEntry<T>): void {
    const { prev, next } = entry;
    if (prev) prev.next = next;
    else this.head = next;
    if (next) next.prev = prev;
    else this.tail = prev;
    entry.prev = undefined;
    entry.next = undefined;
  }

  private arm(delay: number): void {
    // Node fires a longer delay after 1 ms; a later re-arm covers the rest.
    this.timer = setTimeout(this.fire, Math.min(delay, MAX_TIMER_MS));
    this.referenced = true;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.referenced = false;
    const now = performance.now();
    // Expire in order; an `expire` that adds or cancels deadlines sees a consistent list.
    for (let entry = this.head; entry && entry.expiresAt <= now; entry = this.head) {
      const target = entry.target!;
      entry.target = undefined;
      this.unlink(entry);
      this.expire(target);
    }
    if (this.timer) return; // an expire callback added a deadline (and armed the timer)
    if (this.head) this.arm(Math.max(1, Math.ceil(this.head.expiresAt - now)));
    else this.onIdle?.();
  };
}

/**
 * One `DeadlineQueue` per duration, created on first use and dropped once idle, so durations
 * passed per call (a send's `timeout`) do not pile up.
 * @internal
 */
export class DeadlineQueues<T> {
  private readonly queues = new Map<number, DeadlineQueue<T>>();

  constructor(private readonly expire: (target: T) => void) {}

  /** Starts a deadline of `ms` for `target`. */
  add(ms: number, target: T): DeadlineEntry<T> {
    return this.queue(ms).add(target);
  }

  /** Cancels a deadline started with `add(ms, …)`. */
  cancel(ms: number, entry: DeadlineEntry<T>): void {
    this.queues.get(ms)?.cancel(entry);
  }

  /** The queue of `ms`, if one exists. */
  get(ms: number): DeadlineQueue<T> | undefined {
    return this.queues.get(ms);
  }

  private queue(ms: number): DeadlineQueue<T> {
    let queue = this.queues.get(ms);
    if (!queue) {
      const created: DeadlineQueue<T> = new DeadlineQueue<T>(ms, this.expire, () => {
        if (this.queues.get(ms) === created) this.queues.delete(ms);
      });
      queue = created;
      this.queues.set(ms, queue);
    }
    return queue;
  }
}
