import type { QueueKeys } from '../../utils/keys.util.js';

/** Where a list consumer reads from and who it is: what its reader and its recovery both work on. @internal */
export interface ListConsumerSettings {
  readonly keys: QueueKeys;
  readonly queue: string;
  readonly consumer: string;
  /** The list consumed (the registered name). */
  readonly list: string;
  readonly inflight: string;
  readonly heartbeat: string;
  /** Heartbeat TTL, ms (claimIdle). */
  readonly heartbeatTtl: number;
}
