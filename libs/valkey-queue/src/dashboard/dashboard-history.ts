import type { Provider } from '@nestjs/common';
import { QueueHistory } from '../history/queue-history.service.js';

/** DI token of the task history the dashboard searches, undefined while history is off. @internal */
export const DASHBOARD_HISTORY = 'VALKEY_QUEUE_DASHBOARD_HISTORY';

/** What the dashboard needs of `QueueHistory` (docs: task history in PostgreSQL). @internal */
export type HistorySource = Pick<QueueHistory, 'search' | 'get'>;

/** The 404 body of the history routes while no history is configured. */
export const HISTORY_OFF = {
  statusCode: 404,
  message: 'Task history is not configured',
  reason:
    'Configure ValkeyQueueOptions.history ({ postgres: { connectionString } }) in ValkeyQueueModule.forRoot() ' +
    'to record every message in PostgreSQL; this page then searches it.',
} as const;

/**
 * The task history the dashboard searches: the app's `QueueHistory` when `history` is configured,
 * otherwise undefined (the history routes then answer 404 with `HISTORY_OFF`).
 * @internal
 */
export const historyProvider: Provider = {
  provide: DASHBOARD_HISTORY,
  // A view of two methods, not the service itself: Nest runs the lifecycle hooks of every provider's
  // value, so handing out the service here would start its writer and gauges a second time.
  useFactory: (history?: QueueHistory): HistorySource | undefined =>
    history?.enabled
      ? { search: (query) => history.search(query), get: (messageId) => history.get(messageId) }
      : undefined,
  inject: [{ token: QueueHistory, optional: true }],
};
