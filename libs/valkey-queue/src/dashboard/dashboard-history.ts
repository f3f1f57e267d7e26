import type { Provider } from '@nestjs/common';

/** DI token of the task history the dashboard searches, undefined while history is off. @internal */
export const DASHBOARD_HISTORY = 'VALKEY_QUEUE_DASHBOARD_HISTORY';

/** What the dashboard needs of `QueueHistory` (docs: task history in PostgreSQL). @internal */
export interface HistorySource {
  search(query: Record<string, unknown>): Promise<{ items: unknown[]; nextCursor?: string }>;
  get(messageId: string): Promise<unknown>;
}

/** The 404 body of the history routes while no history is configured. */
export const HISTORY_OFF = {
  statusCode: 404,
  message: 'Task history is not configured',
  reason:
    'Configure ValkeyQueueOptions.history ({ postgres: { connectionString } }) in ValkeyQueueModule.forRoot() ' +
    'to record every message in PostgreSQL; this page then searches it.',
} as const;

/**
 * The seam to the task history: the one provider to change once `QueueHistory` exists, into
 * `{ provide: DASHBOARD_HISTORY, useFactory: (history?: QueueHistory) => history,
 *    inject: [{ token: QueueHistory, optional: true }] }`.
 * @internal
 */
export const historyProvider: Provider = { provide: DASHBOARD_HISTORY, useValue: undefined };
