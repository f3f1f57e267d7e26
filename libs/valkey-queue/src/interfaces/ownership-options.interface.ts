/**
 * Stream ownership (`StreamOwnershipService`): whole data streams handed to one consumer at a
 * time through a load-balancer stream, kept by leases with heartbeats and fencing tokens.
 * Without this option the service is inert and its methods reject with `OwnershipNotConfiguredError`.
 */
export interface OwnershipOptions {
  /**
   * Name of the ownership service: every instance with the same name shares one load-balancer
   * stream, consumer group and set of leases. Letters, digits and `_ - . :`, at most 100 characters.
   */
  service: string;
  /**
   * Lease time-to-live in ms: a consumer that stops renewing (crash, stalled event loop, lost
   * connection) loses its streams this long after its last successful heartbeat. At least 3000.
   * @default 15000
   */
  leaseTtl?: number;
  /**
   * How often the leases of this instance are renewed, in ms. Must be less than half of `leaseTtl`,
   * so one failed heartbeat is retried before the lease lapses.
   * @default leaseTtl / 3
   */
  heartbeatInterval?: number;
  /**
   * How often each instance looks for lapsed leases without relying on keyspace notifications, in
   * ms: an `'expired'` event is emitted at most this long after a lease lapsed, even when
   * notifications are disabled, forbidden or lost.
   * @default leaseTtl
   */
  sweepInterval?: number;
  /**
   * Recovery: an assignment whose lease has been absent this long (in ms), or an LBS entry delivered
   * but never taken for this long, is reassigned to a live instance (which emits `'added'`).
   * Recovery runs at startup and then every `recoveryIdle`.
   * @default 2 * leaseTtl
   */
  recoveryIdle?: number;
  /**
   * Recovery page size: pending LBS entries inspected per round trip.
   * @default 100
   */
  recoveryCount?: number;
  /**
   * This instance's consumer id (the lease owner). Two instances must never share one.
   * @default env POD_NAME, else POD_IP, else `<hostname>-<pid>`, plus a random suffix
   */
  consumer?: string;
}
