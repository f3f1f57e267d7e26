/** Why a message ended in the dead-letter stream. */
export type DeadLetterReason = 'dead' | 'broken' | 'expired';

/**
 * One entry of a queue's dead-letter stream (`{vq:<queue>}:dead`), decoded by
 * `QueueAdmin.deadLetters()`. Decoding never throws: a malformed entry keeps what could be read,
 * with `raw` holding every stored field.
 */
export interface DeadLetter<T = unknown> {
  /** Stream entry id in the dead-letter stream. Pass the last one as `cursor` to read the next page. */
  entryId: string;
  /** Envelope id (the same as `msg.id` in handlers and `SendResult.id`). Absent when a broken entry has none. */
  id?: string;
  /**
   * `dead` (retries exhausted or `UnrecoverableError`), `broken` (could not be decoded or validated)
   * or `expired`. A value written by something else is returned as stored; an entry without one is
   * reported as `broken`.
   */
  reason: DeadLetterReason | (string & {});
  /** The error message stored with the entry (`''` when none was stored). */
  error: string;
  /** How many times the handler ran before the message was dead-lettered (0 when not stored). */
  attempts: number;
  /** When the message was dead-lettered, when stored. */
  failedAt?: Date;
  /**
   * Where the message was read from, when stored: its stream entry id (stream transport), or the
   * list key (list transport).
   */
  sourceId?: string;
  /** Message headers (`{}` when none, or when the stored headers are not a JSON object of strings). */
  headers: Record<string, string>;
  /** Message labels (`{}` when none, or when the stored labels break the label rules). */
  labels: Record<string, string>;
  /** Message priority (0..10; 0 when none, or when the stored one is malformed). A redrive keeps it. */
  priority: number;
  /** When the message was first sent, when stored. */
  createdAt?: Date;
  /** The message's time to live, when it had one. */
  expiresAt?: Date;
  /** The dedup key it was sent with, if any. */
  dedupKey?: string;
  /**
   * The payload, parsed as JSON. Absent when the entry has no payload or its text is not JSON
   * (`payloadText` still holds it then). Large integers lose precision here, never in Valkey.
   */
  payload?: T;
  /** The payload exactly as stored (JSON text by default). */
  payloadText?: string;
  /** Every stored field, verbatim: set for `broken` entries and for any entry that is not a full envelope. */
  raw?: Record<string, string>;
  /** Whether `redrive()` can move this entry back: it carries a full envelope (`v`, `id`, `payload`). */
  redrivable: boolean;
}

/** Options of `QueueAdmin.deadLetters()`. */
export interface DeadLetterPageOptions {
  /** Entries to return, 1 to 1000. @default 100 */
  count?: number;
  /**
   * Exclusive start: the `entryId` of the last entry of the previous page. Omit it for the oldest
   * entries. A page shorter than `count` is the last one.
   */
  cursor?: string;
  /**
   * Only entries carrying every one of these labels (same key, same value). The dead-letter stream
   * is read page by page until `count` entries match or it ends, so a rare filter may read it whole;
   * pass the last returned `entryId` as `cursor` to continue after it.
   */
  labels?: Record<string, string>;
}

/** Options of `QueueAdmin.redrive()`. */
export interface RedriveOptions {
  /**
   * Most entries to move, 1 to 1000. @default 100, or the number of `ids` when `ids` is given
   */
  count?: number;
  /**
   * Envelope ids (`DeadLetter.id`, the ids handlers and senders see) to move back. Without it,
   * the oldest entries are moved. At most 1000 ids; ids not found in the dead-letter stream are ignored.
   */
  ids?: readonly string[];
  /**
   * Only entries carrying every one of these labels (same key, same value); with `ids`, both must
   * hold. Entries without matching labels stay in the dead-letter stream.
   */
  labels?: Record<string, string>;
  /**
   * Where the entries go. By default each goes back to the transport it came from: the queue's
   * stream, or the list it was read from (a list worker's dead letter has that list key as
   * `sourceId`). `'stream'` or `'list'` sends every entry to the queue's stream, or to its key-layout
   * list (`{<prefix>:<queue>}:list`), instead: e.g. after moving a queue to the other transport.
   * @default each entry's own transport
   */
  transport?: 'stream' | 'list';
}
