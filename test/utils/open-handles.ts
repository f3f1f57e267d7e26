/** Counts of the handle kinds a leaked client would keep open: sockets and timers. */
export function openHandleCounts(): Record<string, number> {
  const counts: Record<string, number> = { TCPSocketWrap: 0, TLSWrap: 0, Timeout: 0 };
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind in counts) counts[kind] += 1;
  }
  return counts;
}

/** Resolves after pending I/O callbacks (socket 'close' events) have run. */
export const ioTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Asserts that nothing was left open since `before`: no kind of handle is more numerous now.
 * (Fewer is fine: unrelated timers that existed before may have fired meanwhile.)
 */
export function expectNoNewHandles(before: Record<string, number>): void {
  const now = openHandleCounts();
  const grown = Object.keys(now).filter((kind) => now[kind] > before[kind]);
  expect(grown.map((kind) => `${kind}: ${before[kind]} -> ${now[kind]}`)).toEqual([]);
}
