/** Small timing helpers of the consumer loop. @internal */

/** Resolves after `ms`, or at once when `signal` aborts. The timer never outlives the wait. */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The envelope id in raw stream fields ('' when absent), without decoding the whole envelope. */
export function envelopeIdOf(fields: readonly string[]): string {
  for (let index = 0; index + 1 < fields.length; index += 2) {
    if (fields[index] === 'id') return fields[index + 1];
  }
  return '';
}

/** Waits for `task` at most `ms`; its failure or lateness is not the caller's concern (shutdown). */
export async function bounded(task: Promise<unknown>, ms: number): Promise<void> {
  await raceDelay(
    task.catch(() => undefined),
    ms,
  );
}

/** Waits until every task settled, or `ms`, whichever comes first. */
export async function allSettledOrTimeout(
  tasks: (Promise<unknown> | undefined)[],
  ms: number,
): Promise<void> {
  if (tasks.length === 0) return;
  await raceDelay(Promise.allSettled(tasks), Math.max(0, ms));
}

/** `task` or `ms`, whichever ends first; the timer is cleared when the task wins (no handle outlives shutdown). */
async function raceDelay(task: Promise<unknown>, ms: number): Promise<void> {
  const cancel = new AbortController();
  try {
    await Promise.race([task, abortableDelay(ms, cancel.signal)]);
  } finally {
    cancel.abort();
  }
}
