/**
 * A promise together with the functions that settle it, for awaiting an event from a callback
 * (a job handled, a message received) instead of sleeping.
 */
export interface Deferred<T> {
  /** Settles when `resolve` or `reject` is called. */
  readonly promise: Promise<T>;
  /** Fulfils `promise` with `value`; later calls have no effect. */
  resolve(value: T | PromiseLike<T>): void;
  /** Rejects `promise` with `reason`; later calls have no effect. */
  reject(reason?: unknown): void;
}

/**
 * Creates a {@link Deferred}: a promise you settle from the outside.
 *
 * @example
 * const handled = deferred<string>();
 * worker.on('completed', (job) => handled.resolve(job.id));
 * await expect(handled.promise).resolves.toBe(id);
 */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
