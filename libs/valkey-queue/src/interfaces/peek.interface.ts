/** Which messages `QueueAdmin.peek()` lists. */
export type MessageState = 'waiting' | 'pending' | 'delayed';

/**
 * A message as `QueueAdmin.peek()` and `QueueAdmin.message()` show it, decoded leniently (nothing
 * throws): an entry that is not a full envelope keeps every stored field in `raw`.
 */
export interface PeekedMessage {
  /** Where it is: waiting, pending (delivered, not acknowledged), delayed, or acknowledged (kept in the stream). */
  state: MessageState | 'acknowledged';
  /** Envelope id (`msg.id`). */
  id?: string;
  /** Stream entry id (stream transport). */
  entryId?: string;
  /** Delayed messages: when it is due. */
  dueAt?: Date;
  /** Pending messages: the group and consumer holding it, its idle time and deliveries so far. */
  group?: string;
  consumer?: string;
  idleMs?: number;
  deliveries?: number;
  attempt: number;
  priority?: number;
  headers: Record<string, string>;
  labels: Record<string, string>;
  createdAt?: Date;
  expiresAt?: Date;
  /** The payload parsed as JSON, when it is JSON. */
  payload?: unknown;
  /** The payload exactly as stored. */
  payloadText?: string;
  /** Every stored field, when the entry is not a full envelope. */
  raw?: Record<string, string>;
}

/** One page of `QueueAdmin.peek()`; pass `nextCursor` back for the next (absent on the last page). */
export interface PeekPage {
  items: PeekedMessage[];
  nextCursor?: string;
}

/** Options of `QueueAdmin.peek()`. */
export interface PeekOptions {
  /** @default 'waiting' */
  state?: MessageState;
  /** Messages to return, 1 to 1000. @default 50 */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}
