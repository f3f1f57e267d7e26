import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Event loop utilization above which the process counts as busy (a c100 drain runs at 0.4-0.9). */
const BUSY_ABOVE = 0.3;
/** History stream entries added over one rest above which messages count as flowing (a read or an ack adds one). */
const FLOWING_ENTRIES = 50;
/** Windows shorter than this say nothing about the app (the writer has just been working). */
const MIN_WINDOW_MS = 50;

/**
 * Puts history writing off while the app's own process is busy, within bounds. The writer shares
 * the process (and often the machine) with message handling; a burst of messages is handled first,
 * and their events written as soon as the process has room. Writing is put off only while the app
 * is busy (its event loop was busy over the writer's last rest, its workers have handler calls in
 * flight, or history entries keep arriving: on a loaded machine a busy process can look idle to its
 * event loop, and a no-op handler is rarely caught in flight), the events waiting stay under
 * `maxEvents` and the writer has put off for less than `maxLagMs` in a row: past either bound it
 * writes at full rate, so under sustained saturation the history lags by at most about that much.
 * @internal
 */
export class WriterPacing {
  private restedAt?: EventLoopUtilization;
  private restedAtMs = 0;
  private deferringSinceMs?: number;
  /** History stream entries at the last check (the writer's reads and deletes change it too). */
  private lastEntries = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxLagMs: number,
    /** Whether the app's workers have handler calls in flight now. */
    private readonly working: () => boolean = () => false,
    /** The share of time the event loop was busy since a mark (injectable for tests). */
    private readonly busySince: (mark: EventLoopUtilization) => number = (mark) =>
      performance.eventLoopUtilization(performance.eventLoopUtilization(), mark).utilization,
  ) {}

  /** The writer is about to wait: what the event loop does from now on is the app's work. */
  rest(nowMs = Date.now()): void {
    this.restedAt = performance.eventLoopUtilization();
    this.restedAtMs = nowMs;
  }

  /**
   * Whether to put this round of writing off. `entries`: history stream entries waiting now (XLEN);
   * `backlog`: events waiting (counted or estimated).
   */
  async defer(
    entries: () => Promise<number>,
    backlog: () => Promise<number>,
    nowMs = Date.now(),
  ): Promise<boolean> {
    const since = this.restedAt;
    this.restedAt = undefined;
    const waiting = await entries();
    const arrived = waiting - this.lastEntries;
    this.lastEntries = waiting;
    const busy =
      since &&
      nowMs - this.restedAtMs >= MIN_WINDOW_MS &&
      (this.working() || arrived >= FLOWING_ENTRIES || this.busySince(since) >= BUSY_ABOVE);
    if (!busy) {
      this.deferringSinceMs = undefined;
      return false;
    }
    this.deferringSinceMs ??= nowMs;
    if (nowMs - this.deferringSinceMs >= this.maxLagMs || (await backlog()) >= this.maxEvents) {
      this.deferringSinceMs = undefined;
      return false;
    }
    return true;
  }
}
