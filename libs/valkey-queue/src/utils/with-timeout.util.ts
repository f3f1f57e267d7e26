import { ValkeyQueueError } from '../errors/valkey-queue.error.js';

/** A bounded wait ran out. */
export class TimeoutError extends ValkeyQueueError {
  constructor(
    readonly timeoutMs: number,
    what: string,
  ) {
    super('VQ_TIMEOUT', `${what} did not finish within ${timeoutMs} ms`);
  }
}

/**
 * Settles like `promise`, or rejects with `TimeoutError` after `timeoutMs`. The timer is always
 * cleared, so a finished wait never keeps the process alive.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what = 'The operation',
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(timeoutMs, what)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The message of anything thrown (non-Errors included). */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
