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
 * (Fewer is fine: unrelated timers that existed before may have fired meanwhile.) The counts are
 * process-wide, so a short timer of something else running at that moment can show up: the check
 * is repeated for up to `settleMs`, and only a handle still there after it counts as left open.
 */
export async function expectNoNewHandles(before: Record<string, number>, settleMs = 1_000): Promise<void> {
  const grown = (): string[] => {
    const now = openHandleCounts();
    return Object.keys(now)
      .filter((kind) => now[kind] > before[kind])
      .map((kind) => `${kind}: ${before[kind]} -> ${now[kind]}`);
  };
  const deadline = Date.now() + settleMs;
  while (grown().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(grown()).toEqual([]);
}
