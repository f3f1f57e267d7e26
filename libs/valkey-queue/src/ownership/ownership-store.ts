import type { ValkeyClient } from '../connection/create-client.js';
import type { OwnershipKeys } from '../utils/keys.util.js';
import { errorMessage } from '../utils/with-timeout.util.js';

/** How a take-lease call ended (take-lease.lua's return codes, decoded). @internal */
export type TakeResult =
  | { status: 'taken'; token: number; info: string; entryId: string }
  | { status: 'held'; holder: string }
  | { status: 'not-assigned' }
  | { status: 'duplicate' }
  | { status: 'not-claimable' };

/** A lease to renew, release or hand back: its stream and exact value `<owner>:<token>`. @internal */
export interface LeaseRef {
  readonly stream: string;
  readonly value: string;
}

/** What Valkey holds for one data stream, read atomically. @internal */
export interface StreamState {
  stream: string;
  /** The lease value `<owner>:<token>`, or null when no lease is live. */
  lease: string | null;
  /** An assignment record exists (assigned and not completed). */
  assigned: boolean;
  /** Token of the last lease taken (0 if unknown). */
  token: number;
  /** `info` JSON text. */
  info: string | null;
  /** The LBS entry of the assignment, or null. */
  entryId: string | null;
}

/** One pending LBS entry: id and fields (null when the entry itself is gone). @internal */
export type PendingEntry = [id: string, fields: string[] | null];

/** Dead-lettered LBS entries are kept up to about this many. */
const LBS_DEAD_MAX_LEN = 10_000;

/**
 * Every Valkey call of one ownership service: the scripts with their keys in place and their
 * return codes decoded, plus the few plain reads. Keeps key handling out of the service logic.
 * @internal
 */
export class OwnershipStore {
  constructor(
    private readonly client: ValkeyClient,
    readonly keys: OwnershipKeys,
    /** Consumer group on the LBS: the service name. */
    readonly group: string,
    /** This instance's consumer id. */
    readonly owner: string,
    private readonly leaseTtl: number,
  ) {}

  /** Appends an assignment to the LBS. */
  async assign(stream: string, infoJson: string): Promise<string> {
    return (await this.client.xadd(this.keys.lbs, '*', 'stream', stream, 'info', infoJson)) as string;
  }

  /** Creates the LBS consumer group at 0 (so assignments made before any instance ran are delivered). */
  async ensureGroup(): Promise<void> {
    try {
      await this.client.xgroup('CREATE', this.keys.lbs, this.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test(errorMessage(error))) throw error;
    }
  }

  async take(
    stream: string,
    mode: 'read' | 'claim' | 'recover',
    entryId = '',
    minIdle = 0,
  ): Promise<TakeResult> {
    const { keys } = this;
    const reply = await this.client.vqTakeLease(
      keys.lbs,
      keys.lease(stream),
      keys.fence(stream),
      keys.assignment(stream),
      keys.assignments,
      this.group,
      this.owner,
      this.leaseTtl,
      stream,
      mode,
      entryId,
      minIdle,
    );
    const code = Number(reply[0]);
    if (code > 0) return { status: 'taken', token: code, info: String(reply[2]), entryId: String(reply[3]) };
    if (code === -1) return { status: 'held', holder: String(reply[1]) };
    if (code === -2) return { status: 'not-assigned' };
    if (code === -3) return { status: 'duplicate' };
    return { status: 'not-claimable' };
  }

  /** Renews many leases in one call. Resolves one status per lease: 1 renewed, 0 missing, -1 taken. */
  async renew(leases: readonly LeaseRef[]): Promise<number[]> {
    const keys: string[] = [this.keys.assignments];
    const args: (string | number)[] = [this.leaseTtl];
    for (const { stream, value } of leases) {
      keys.push(this.keys.lease(stream), this.keys.assignment(stream));
      args.push(value, stream);
    }
    const [, ...statuses] = await this.client.vqRenewLeases(keys.length, ...keys, ...args);
    return statuses.map(Number);
  }

  /** Completes a stream we hold. Resolves 1 released, 0 lease missing, -1 held by another. */
  async release({ stream, value }: LeaseRef): Promise<number> {
    const { keys } = this;
    return Number(
      await this.client.vqReleaseLease(
        keys.lbs,
        keys.lease(stream),
        keys.assignment(stream),
        keys.assignments,
        this.group,
        value,
        stream,
      ),
    );
  }

  /** Gives an unfinished stream back. Resolves 1 handed back, 0 lease missing, -1 held by another. */
  async handBack({ stream, value }: LeaseRef): Promise<number> {
    const { keys } = this;
    return Number(
      await this.client.vqHandBackLease(
        keys.lease(stream),
        keys.assignment(stream),
        keys.assignments,
        value,
        stream,
        keys.handBackChannel,
      ),
    );
  }

  /** Moves a malformed LBS entry to the LBS dead-letter stream (and acks it). */
  async deadLetter(entryId: string, reason: string): Promise<void> {
    await this.client.vqLbsDeadLetter(
      this.keys.lbs,
      this.keys.lbsDead,
      this.group,
      entryId,
      reason,
      LBS_DEAD_MAX_LEN,
    );
  }

  /** Acknowledges a pending LBS entry that no longer exists. */
  async ackGone(entryId: string): Promise<void> {
    await this.client.xack(this.keys.lbs, this.group, entryId);
  }

  /** Lease and assignment of each stream, each read atomically (one MULTI per stream, one round trip). */
  async inspect(streams: readonly string[]): Promise<StreamState[]> {
    return Promise.all(
      streams.map(async (stream) => {
        const replies = await this.client
          .multi()
          .get(this.keys.lease(stream))
          .hmget(this.keys.assignment(stream), 'token', 'info', 'entryId')
          .exec();
        if (!replies) throw new Error('MULTI was aborted');
        const failed = replies.find(([error]) => error);
        if (failed) throw failed[0];
        const lease = replies[0][1] as string | null;
        const [token, info, entryId] = replies[1][1] as (string | null)[];
        return { stream, lease, assigned: entryId !== null, token: Number(token ?? 0), info, entryId };
      }),
    );
  }

  /** Streams whose last known lease expiry (server clock) is at or before `serverNow`, one page. */
  async lapsedCandidates(serverNow: number, offset: number, count: number): Promise<string[]> {
    return this.client.zrangebyscore(this.keys.assignments, '-inf', serverNow, 'LIMIT', offset, count);
  }

  /** One page of LBS entries pending for at least `minIdle` ms, after `cursor` (exclusive), with their fields. */
  async pendingPage(cursor: string, minIdle: number, count: number): Promise<PendingEntry[]> {
    const start = cursor === '-' ? '-' : `(${cursor}`;
    const pending = (await this.client.xpending(
      this.keys.lbs,
      this.group,
      'IDLE',
      minIdle,
      start,
      '+',
      count,
    )) as [string, ...unknown[]][];
    return Promise.all(
      pending.map(async ([id]): Promise<PendingEntry> => {
        const [entry] = await this.client.xrange(this.keys.lbs, id, id);
        return [id, entry ? entry[1] : null];
      }),
    );
  }

  /** The server's clock, epoch ms (lease expiries in the index are on it). */
  async serverTime(): Promise<number> {
    const [seconds, micros] = await this.client.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }
}
