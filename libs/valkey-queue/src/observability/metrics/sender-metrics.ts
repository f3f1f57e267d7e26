import { ValkeyQueueError } from '../../errors/valkey-queue.error.js';
import { CounterCell } from './metric-cells.js';

/** Queues with series of their own; beyond that, new queues share the `OTHER_QUEUE` series. @internal */
export const MAX_METRIC_QUEUES = 1_000;
/** The `queue` label of queues past `MAX_METRIC_QUEUES`. @internal */
export const OTHER_QUEUE = '_other';

/** The sender cells of one queue. @internal */
export class SenderQueueCells {
  readonly sent = new CounterCell();
  readonly deduplicated = new CounterCell();
  readonly retried = new CounterCell();
  readonly rejected = new CounterCell();
  /** Failed send calls by error code. */
  readonly errors = new Map<string, CounterCell>();
}

/**
 * Sender counters per queue, shared by every sender of the module. Queue names are the callers',
 * so the number of series is capped (`MAX_METRIC_QUEUES`). @internal
 */
export class SenderMetrics {
  private readonly queues = new Map<string, SenderQueueCells>();
  private other?: SenderQueueCells;

  /** Messages written by one call (a batch chunk counts each message). */
  sent(queue: string, messages: number): void {
    this.cells(queue).sent.inc(messages);
  }

  /** A send suppressed by a live dedup key. */
  deduplicated(queue: string): void {
    this.cells(queue).deduplicated.inc();
  }

  /** Attempts of one call after its first (connection-level failures). */
  retried(queue: string, attempts: number): void {
    this.cells(queue).retried.inc(attempts);
  }

  /** A call refused because the circuit breaker was open. */
  rejected(queue: string): void {
    this.cells(queue).rejected.inc();
  }

  /** A failed call, counted by its error code (`VQ_...`, or `UNKNOWN`). */
  error(queue: string, error: unknown): void {
    const code = error instanceof ValkeyQueueError ? error.code : 'UNKNOWN';
    const { errors } = this.cells(queue);
    let cell = errors.get(code);
    if (!cell) errors.set(code, (cell = new CounterCell()));
    cell.inc();
  }

  /** Every queue with cells, the shared overflow series included. */
  *entries(): IterableIterator<[string, SenderQueueCells]> {
    yield* this.queues;
    if (this.other) yield [OTHER_QUEUE, this.other];
  }

  /** Queues sent to (at most `MAX_METRIC_QUEUES`). */
  queueNames(): IterableIterator<string> {
    return this.queues.keys();
  }

  private cells(queue: string): SenderQueueCells {
    const known = this.queues.get(queue);
    if (known) return known;
    if (this.queues.size >= MAX_METRIC_QUEUES) return (this.other ??= new SenderQueueCells());
    const cells = new SenderQueueCells();
    this.queues.set(queue, cells);
    return cells;
  }
}
