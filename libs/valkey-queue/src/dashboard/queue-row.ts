import type { QueueStats } from '../interfaces/queue-stats.interface.js';

/** One queue on the overview, as the API and the live feed send it. @internal */
export interface QueueRow {
  name: string;
  transport: 'stream' | 'list';
  waiting: number;
  /** Waiting messages per priority, when the server-side stats report it. */
  waitingByPriority?: Record<string, number>;
  pending: number;
  delayed: number;
  dead: number;
  consumers: number;
  paused: boolean;
  lag: number;
  processed: number;
  failed: number;
  /** Messages per second in (sent, retried, redriven) and out (processed, dead-lettered); null until two samples exist. */
  rates: { in: number; out: number } | null;
}

/** Messages that left the queue for good, as counted so far. */
export const outTotal = (stats: QueueStats): number =>
  stats.processed + stats.dead + stats.broken + stats.expired;
/** Messages inside the queue right now. */
export const stockOf = (stats: QueueStats): number => stats.length + stats.pending + stats.delayed;

export function toQueueRow(stats: QueueStats, rates: QueueRow['rates']): QueueRow {
  const row: QueueRow = {
    name: stats.queue,
    transport: stats.streamLength === 0 && stats.groups.length === 0 && stats.length > 0 ? 'list' : 'stream',
    waiting: stats.length,
    pending: stats.pending,
    delayed: stats.delayed,
    dead: stats.deadLetters,
    consumers: stats.consumers,
    paused: stats.paused,
    lag: stats.lag,
    processed: stats.processed,
    failed: stats.failed,
    rates,
  };
  // Added to QueueStats by the priorities work; read when the stats carry it.
  const byPriority = (stats as QueueStats & { waitingByPriority?: Record<string, number> }).waitingByPriority;
  if (byPriority) row.waitingByPriority = byPriority;
  return row;
}
