/** Where a message is in its life, as the history last recorded it. */
export type HistoryState =
  'waiting' | 'delayed' | 'active' | 'succeeded' | 'retrying' | 'dead' | 'broken' | 'expired';

/** Every state, for validation. @internal */
export const HISTORY_STATES: readonly HistoryState[] = [
  'waiting',
  'delayed',
  'active',
  'succeeded',
  'retrying',
  'dead',
  'broken',
  'expired',
];

/** One event of a message's timeline. */
export interface HistoryTimelineEvent {
  /** sent, delayed, promoted, started, succeeded, retried, dead, broken, expired, redriven, deduplicated, scheduled. */
  type: string;
  at: Date;
  attempt?: number;
  error?: string;
  consumer?: string;
  /** Type-specific details: `due` (delayed, retried), `raw` (broken), `duplicateId`, `schedule`. */
  detail?: Record<string, unknown>;
}

/** One message as the history knows it. `events` is filled by `get()`, empty in `search()` results. */
export interface HistoryRecord {
  id: string;
  queue: string;
  state: HistoryState;
  priority: number;
  labels: Record<string, string>;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  /** From the first event to the final one (succeeded, dead, broken, expired). */
  durationMs?: number;
  error?: string;
  payload?: string;
  events: HistoryTimelineEvent[];
}

/** Arguments of `QueueHistory.search()`. */
export interface HistorySearch {
  queue?: string;
  state?: HistoryState | HistoryState[];
  /** Every pair must be among the message's labels. */
  labels?: Record<string, string>;
  id?: string;
  /** Case-insensitive substring of the last error. */
  text?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  /** 1 to 1000. @default 50 */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of `QueueHistory.search()`, newest first; `nextCursor` is absent on the last page. */
export interface HistoryPage {
  items: HistoryRecord[];
  nextCursor?: string;
}
