/**
 * A `many` history event (format 3, lua/fragments/history-event.lua) lists its messages as one JSON
 * array with one array per message, holding these envelope fields in this order. The workers write
 * such lists (record-started.ts, ack-entry-args.ts) and the history writer expands them
 * (history-event.ts): one order for both. @internal
 */
export const MANY_EVENT_FIELDS = ['id', 'attempt', 'labels', 'priority'] as const;
