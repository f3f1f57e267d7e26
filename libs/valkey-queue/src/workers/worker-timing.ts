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
