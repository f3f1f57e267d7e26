import { Logger } from '@nestjs/common';
import { errorMessage, withTimeout } from '../utils/with-timeout.util.js';
import type { OwnershipStore } from './ownership-store.js';

/** Why this instance stopped holding a lease. @internal */
export type LossReason = 'lapsed' | 'taken' | 'deadline' | 'released' | 'handed-back' | 'replaced';

/** A lease this instance holds. @internal */
export interface HeldLease {
  readonly stream: string;
  readonly token: number;
  /** `<owner>:<token>`, the exact lease value in Valkey. */
  readonly value: string;
  readonly controller: AbortController;
  /** Local clock: the take or last successful renewal was sent at `expiresAt - leaseTtl`. */
  expiresAt: number;
  deadline?: NodeJS.Timeout;
}

/** Leases renewed per script call, so one heartbeat never runs a huge script. */
const RENEW_CHUNK = 200;

/** Timing of the book. @internal */
export interface LeaseBookTiming {
  leaseTtl: number;
  heartbeatInterval: number;
  /** A lease is given up this long before its local expiry when no renewal succeeded. */
  safetyMargin: number;
}

/**
 * The leases this instance holds, and the heartbeat that keeps them. Heartbeats are plain timers,
 * independent of `events$` subscribers, and renew every held lease in batched compare-token
 * scripts. A lease is lost (reported once through `onLost`) when a renewal finds it lapsed or
 * taken, or when no renewal has succeeded by its local expiry minus the safety margin: then the
 * server's answer does not matter (it may be unreachable, or this process was stalled).
 * @internal
 */
export class LeaseBook {
  private readonly logger = new Logger('StreamOwnershipService');
  private readonly leases = new Map<string, HeldLease>();
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private failing = false;
  private stopped = false;

  constructor(
    private readonly store: OwnershipStore,
    private readonly timing: LeaseBookTiming,
    /** Called once per lost lease (never for `released` / `handed-back`), after it left the book. */
    private readonly onLost: (lease: HeldLease, reason: LossReason) => void,
  ) {}

  /** Starts the heartbeat (once). */
  start(): void {
    if (!this.timer && !this.stopped) this.schedule(this.timing.heartbeatInterval);
  }

  /**
   * Records a lease just taken (`sentAt`: local time the take was sent) and arms its deadline, so
   * it is covered by the heartbeat before anyone hears about it. A lease still held on the same
   * stream (lost without our knowing) is reported lost first.
   */
  hold(stream: string, token: number, sentAt: number): HeldLease {
    const previous = this.leases.get(stream);
    if (previous) this.lose(previous, 'replaced');
    const lease: HeldLease = {
      stream,
      token,
      value: `${this.store.owner}:${token}`,
      controller: new AbortController(),
      expiresAt: sentAt + this.timing.leaseTtl,
    };
    this.leases.set(stream, lease);
    this.arm(lease);
    return lease;
  }

  get(stream: string): HeldLease | undefined {
    return this.leases.get(stream);
  }

  streams(): string[] {
    return [...this.leases.keys()];
  }

  all(): HeldLease[] {
    return [...this.leases.values()];
  }

  /** Removes `lease` if it is still the one held for its stream; aborts its signal. Returns whether it was. */
  drop(lease: HeldLease, reason: LossReason): boolean {
    if (this.leases.get(lease.stream) !== lease) return false;
    this.leases.delete(lease.stream);
    clearTimeout(lease.deadline);
    lease.controller.abort(new Error(`Lease on '${lease.stream}' ended: ${reason}`));
    return true;
  }

  /** Drops `lease` and reports it lost (once). */
  lose(lease: HeldLease, reason: LossReason): void {
    if (this.drop(lease, reason)) this.onLost(lease, reason);
  }

  /** Stops the heartbeat and waits for a renewal in flight. Held leases stay (for the hand-back). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const lease of this.leases.values()) clearTimeout(lease.deadline);
    await this.beating;
  }

  private arm(lease: HeldLease): void {
    clearTimeout(lease.deadline);
    if (this.stopped) return;
    const delay = Math.max(0, lease.expiresAt - this.timing.safetyMargin - Date.now());
    lease.deadline = setTimeout(() => this.lose(lease, 'deadline'), delay);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.beating = this.beat().finally(() => {
        this.beating = undefined;
      });
    }, delay);
  }

  private async beat(): Promise<void> {
    // A stalled event loop wakes up here first: leases past their deadline are given up, not renewed.
    const now = Date.now();
    for (const lease of this.all()) {
      if (now >= lease.expiresAt - this.timing.safetyMargin) this.lose(lease, 'deadline');
    }
    const leases = this.all();
    let failed = false;
    for (let start = 0; start < leases.length && !this.stopped; start += RENEW_CHUNK) {
      const chunk = leases.slice(start, start + RENEW_CHUNK);
      const sentAt = Date.now();
      try {
        // Bounded by the interval: a hung call must not delay the next attempt.
        const statuses = await withTimeout(
          this.store.renew(chunk),
          this.timing.heartbeatInterval,
          'Lease renewal',
        );
        chunk.forEach((lease, index) => this.settle(lease, statuses[index], sentAt));
      } catch (error) {
        failed = true;
        if (!this.failing) this.logger.warn(`Renewing leases failed: ${errorMessage(error)}; retrying`);
      }
    }
    if (this.failing && !failed) this.logger.log('Renewing leases works again');
    this.failing = failed;
    // One transient failure is retried well before any deadline; it is not reported.
    const { heartbeatInterval } = this.timing;
    this.schedule(failed ? Math.max(50, Math.floor(heartbeatInterval / 4)) : heartbeatInterval);
  }

  private settle(lease: HeldLease, status: number | undefined, sentAt: number): void {
    if (this.leases.get(lease.stream) !== lease) return; // released, handed back or lost meanwhile
    if (status === 1) {
      lease.expiresAt = sentAt + this.timing.leaseTtl;
      this.arm(lease);
    } else {
      this.lose(lease, status === 0 ? 'lapsed' : 'taken');
    }
  }
}
