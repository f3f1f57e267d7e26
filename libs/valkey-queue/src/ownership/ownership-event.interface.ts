/** A lease on one data stream: while it is live, no other consumer holds that stream. */
export interface OwnershipLease {
  /** The data stream. */
  readonly stream: string;
  /** Consumer id of the holder (this instance). */
  readonly owner: string;
  /**
   * Fencing token: strictly increasing per stream across all owners and restarts. Pass it to
   * downstream writes (`OwnershipFence.write`) so a stale owner's writes are refused.
   */
  readonly token: number;
  /**
   * Until when the lease is surely ours by the local clock unless renewed (the time the take or
   * last renewal was sent, plus `leaseTtl`). A snapshot: heartbeats extend the lease itself.
   */
  readonly expiresAt: Date;
  /**
   * Aborts when this instance stops holding the lease: released, handed back, or `'disowned'`.
   * Stop working on the stream when it fires.
   */
  readonly signal: AbortSignal;
}

/** A stream was handed to this instance (from the LBS, or by recovery); its heartbeat is already running. */
export interface StreamAddedEvent {
  readonly type: 'added';
  readonly stream: string;
  /** The `info` given to `assign()`. */
  readonly info: Record<string, unknown>;
  readonly lease: OwnershipLease;
}

/**
 * A lease lapsed without release (its holder crashed or stalled) or was handed back at shutdown.
 * Emitted on every instance; call `claim(stream)` to take it over (exactly one claimer wins).
 */
export interface StreamExpiredEvent {
  readonly type: 'expired';
  readonly stream: string;
  /** The `info` given to `assign()`. */
  readonly info: Record<string, unknown>;
  /** The fencing token of the lease that lapsed; a successful claim gets a greater one. */
  readonly lastToken: number;
}

/**
 * This instance lost a lease it held: a heartbeat found it lapsed or taken, or no heartbeat
 * succeeded in time (stalled event loop, unreachable server). Stop working on the stream.
 */
export interface StreamDisownedEvent {
  readonly type: 'disowned';
  readonly stream: string;
  /** The fencing token of the lost lease. */
  readonly token: number;
}

/** The service stopped for good (application shutdown, or an unrecoverable misconfiguration); `events$` completes next. */
export interface OwnershipTerminatedEvent {
  readonly type: 'terminated';
  readonly reason: string;
}

/** Everything `StreamOwnershipService.events$` emits (discriminated by `type`). */
export type OwnershipEvent =
  StreamAddedEvent | StreamExpiredEvent | StreamDisownedEvent | OwnershipTerminatedEvent;
