/**
 * What the consumer loop needs from a transport. The loop (concurrency, decoding, handlers,
 * retries, dead letters, shutdown) is transport-agnostic; a source owns the commands.
 * The stream source is in `stream/`; a list source can implement the same interface. @internal
 */

/** One message as the transport handed it over, before decoding. */
export interface RawDelivery {
  /** The transport's id of this copy (stream entry id). */
  readonly entryId: string;
  /** Stored fields, flat: `[name, value, ...]`. */
  readonly fields: readonly string[];
  /** Deliveries of this copy to any consumer of the group, this one included (1 for a first read). */
  readonly deliveries: number;
  /**
   * Set when the stored bytes are not UTF-8 text (`fields` then hold a lossy decoding): why. Such a
   * message is broken whatever its fields say; its dead letter keeps the stored bytes.
   */
  readonly invalid?: string;
}

/** Which counter an acknowledgement adds to. */
export type AckOutcome = 'processed' | 'skipped' | 'expired';

/** The stats hash field ack.lua and list-ack.lua HINCRBY per acknowledged copy; '' counts nothing. */
export const ACK_OUTCOME_COUNTER: Record<AckOutcome, string> = {
  processed: 'processed',
  skipped: '',
  expired: 'expired',
};

/** A copy to acknowledge. */
export interface AckItem {
  readonly entryId: string;
  /** Envelope id ('' when unknown): the idempotency marker to write for 'processed'. */
  readonly id: string;
  /** The copy as read, when at hand: its history event is then taken from these fields. */
  readonly raw?: Pick<RawDelivery, 'fields' | 'invalid'>;
}

/** A failed copy to acknowledge and re-schedule with the next attempt number. */
export interface RetryItem {
  readonly entryId: string;
  readonly id: string;
  readonly delayMs: number;
  /** The attempt number the copy gets. */
  readonly attempt: number;
  /** The attempt the message was first delivered with (the copy's `firstAttempt`). */
  readonly firstAttempt: number;
  /** The fields as read, used only if the stored copy is gone. */
  readonly fields: readonly string[];
}

/** Why a message left the queue for the dead-letter stream; also its counter. */
export type DeadReason = 'dead' | 'broken' | 'expired';

/** A copy to move to the dead-letter stream. */
export interface DeadItem {
  readonly entryId: string;
  readonly reason: DeadReason;
  readonly error: string;
  readonly stack?: string;
  /** How many times the handler ran. */
  readonly attempts: number;
  /** Also count a handler failure (the last attempt failed, rather than never ran). */
  readonly countFailure: boolean;
  readonly fields: readonly string[];
}

/**
 * A dead item's values in the order move-to-dead.lua, list-move-to-dead.lua and ordered-dead.lua
 * take them after its entry: reason, error, attempts, count-a-failure flag, stack.
 */
export function deadLetterArgs(item: DeadItem): (string | number)[] {
  return [item.reason, item.error, item.attempts, item.countFailure ? '1' : '0', item.stack ?? ''];
}

/** A page of reclaimed copies. */
export interface ClaimPage {
  readonly deliveries: RawDelivery[];
  /** True when the sweep reached the end of the pending list (the next one starts over). */
  readonly done: boolean;
  /**
   * True when nothing at all was pending: nothing can become reclaimable within claimIdle, so the
   * next sweep may wait that long.
   */
  readonly nothingPending?: boolean;
}

export interface MessageSource {
  /** Creates what reading needs (consumer group, checks). Idempotent. */
  prepare(): Promise<void>;
  /**
   * Opens the read connection ahead of `prepare()`, for a worker not started yet: changes nothing on
   * the server, so a start later does not wait for a connection handshake. Absent: `prepare()` opens it.
   */
  openReadConnection?(): Promise<void>;
  /** Up to `count` new messages, waiting at most `blockMs` for one. Recreates a vanished group. */
  read(count: number, blockMs: number): Promise<RawDelivery[]>;
  /**
   * Sends processed acks and a read together (one write on the read connection); the ack settles
   * on its own, before the read blocks. Absent or returning undefined: use `ack()` and `read()`.
   */
  ackAndRead?(
    acks: readonly AckItem[],
    count: number,
    blockMs: number,
  ): { acked: Promise<void>; read: Promise<RawDelivery[]> } | undefined;
  /**
   * Makes a blocked `read()` return now (best effort). Resolves false when the read connection is
   * not connected, so there is nothing to unblock: the caller should close it instead.
   */
  interruptRead(): Promise<boolean>;
  ack(items: readonly AckItem[], outcome: AckOutcome): Promise<void>;
  /** Returns, per item, whether the retry was scheduled (false: no longer ours). */
  retry(items: readonly RetryItem[]): Promise<boolean[]>;
  moveToDead(items: readonly DeadItem[]): Promise<boolean[]>;
  /**
   * Keeps the idle time of every copy given at 0, however many (the source splits them into
   * bounded script calls); returns those no longer ours.
   */
  refresh(entryIds: readonly string[]): Promise<string[]>;
  /**
   * Makes unfinished copies reclaimable by any consumer at once (shutdown), every one given. `started`: their
   * handlers ran, which the list source counts as a delivery (a stream reclaim always counts one).
   */
  handBack(entryIds: readonly string[], started?: boolean): Promise<void>;
  /** One step of the reclaim sweep: at most `max` copies idle past claimIdle. */
  claimIdle(max: number): Promise<ClaimPage>;
  /** One page of this consumer's own pending copies (restart with a stable name). */
  claimOwn(max: number): Promise<ClaimPage>;
  /** Removes other consumers long idle with nothing pending; returns how many. */
  cleanupConsumers(minIdleMs: number): Promise<number>;
  /** Drops entries every group has acknowledged (never pending or undelivered ones); returns how many. */
  trimAcked(): Promise<number>;
  /** Counts handler failures that are neither retried nor dead-lettered (noAck). */
  countFailures(count: number): Promise<void>;
  /** Releases the source's connection; `force` cuts it at once instead of a polite QUIT. */
  close(force?: boolean): Promise<void>;
}
