import type { ValkeyConnection } from '../../connection/valkey-connection.js';
import type { ResolvedWorkerOptions } from '../../config/worker-options.js';
import { orderingKeysOf, type OrderingKeys } from '../../ordering/ordering-keys.js';
import type { QueueKeys } from '../../utils/keys.util.js';
import {
  ACK_OUTCOME_COUNTER,
  deadLetterArgs,
  type AckItem,
  type AckOutcome,
  type ClaimPage,
  type DeadItem,
  type MessageSource,
  type RawDelivery,
  type RetryItem,
} from '../message-source.interface.js';
import { MAX_BATCH } from '../outcome-batcher.js';
import { recordStarted } from '../record-started.js';
import { decodeStoredBody } from './ordered-body.js';

/** What one take brought. */
export interface OrderedTake {
  /** One head message per leased key; `entryId` is the lease's fencing token. */
  readonly deliveries: RawDelivery[];
  /** When nothing was taken: when the earliest ready key is due (epoch ms, server clock), or -1. */
  readonly nextReadyMs: number;
  /** Keys freed because their holder's lease expired (a worker died). */
  readonly reclaimed: number;
}

const NOTHING: ClaimPage = { deliveries: [], done: true, nothingPending: true };

/**
 * Messages of one key an instance runs back to back on one lease before the key goes back to the
 * ready set (behind keys that waited longer): a busy key saves a take per message, and cannot keep
 * other keys waiting for more than this many of its messages.
 */
export const CONTINUE_LIMIT = 20;

/**
 * Messages of one key handed over at once (a run, within CONTINUE_LIMIT): the holder runs them one
 * at a time, each under its own fencing token, and acknowledges each with the next one already
 * going: a busy key costs no round trip per message (docs/ordering.md).
 */
export const RUN_LENGTH = CONTINUE_LIMIT;

/** What the lane tells the source about acknowledgements. @internal */
export interface ContinueHooks {
  /** Whether the acknowledged message's key may go on with its next message here (a slot is kept for it). */
  mayContinue(entryId: string): boolean;
  /** Whether the next message of the acknowledged message's run (see `nextOfRun`) runs here. */
  keeps(entryId: string): boolean;
  /** The acks of `acked` were sent (written or not yet): the next messages of their runs may start. */
  acksSent(acked: readonly AckItem[]): void;
  /**
   * The acks of `acked` are written; `deliveries`: next messages of their keys, each under a new
   * lease, to run now (or hand back).
   */
  continued(deliveries: RawDelivery[], acked: readonly AckItem[]): void;
}

/**
 * The per-key ordering transport of a worker (docs/ordering.md): takes ready keys with a fenced
 * lease and hands over each key's head message; every outcome is a batched script that checks
 * the lease's fencing token first, so a holder whose lease was reclaimed can no longer pop, retry
 * or dead-letter anything. A delivery's `entryId` is its token. Uses the shared command connection
 * (no blocking read: the lane waits on signals and timers). @internal
 */
export class OrderedSource implements MessageSource {
  readonly keys: OrderingKeys;
  /** Leases held, token -> ordering key, until their outcome is written or handed back. */
  private readonly leased = new Map<string, string>();
  /** Token -> messages its key ran back to back before it, on this instance (absent: none). */
  private readonly runs = new Map<string, number>();
  /**
   * Token of a message running (or handed over) -> the next messages of its run, in order, as
   * stored (decoded when they start: a take's runs are not all decoded at once).
   */
  private readonly followers = new Map<string, { token: string; body: Buffer }[]>();
  /** The first message of the run a reply's next messages belong to (while a reply is read). */
  private runHead = '';
  /** Set by the lane; without it no key continues. */
  hooks?: ContinueHooks;
  private readonly park: '1' | '0';

  constructor(
    private readonly connection: ValkeyConnection,
    private readonly queueKeys: QueueKeys,
    private readonly options: ResolvedWorkerOptions,
    onDead: 'continue' | 'park',
  ) {
    this.keys = orderingKeysOf(queueKeys);
    this.park = onDead === 'park' ? '1' : '0';
  }

  private get client() {
    return this.connection.client;
  }

  /** Keys currently leased by this worker. */
  get leases(): number {
    return this.leased.size;
  }

  async prepare(): Promise<void> {}

  /** True when the queue has ordered messages or leases at all (one command). */
  async inUse(): Promise<boolean> {
    return (await this.client.exists(this.keys.ready, this.keys.leases)) > 0;
  }

  async take(max: number): Promise<OrderedTake> {
    const { ready, leases, holders, takes, fence, listPrefix } = this.keys;
    const reply = await this.client.vqOrderedTakeBuffer(
      ready,
      leases,
      holders,
      takes,
      fence,
      listPrefix,
      this.options.claimIdle,
      Math.min(max, MAX_BATCH), // the script removes the page with one ZREM
      RUN_LENGTH,
    );
    const deliveries: RawDelivery[] = [];
    for (let index = 2; index + 3 < reply.length; index += 4) {
      // Deliveries 0: the next message of the run of the key before.
      const count = Number(reply[index + 2]);
      const [key, token, body] = [reply[index], reply[index + 1], reply[index + 3]] as Buffer[];
      this.leaseRun(key, token, body, 0, count, deliveries);
    }
    recordStarted(this.client, this.queueKeys, this.options.consumer, deliveries);
    return { deliveries, nextReadyMs: Number(reply[0]), reclaimed: Number(reply[1]) };
  }

  async read(count: number): Promise<RawDelivery[]> {
    return (await this.take(count)).deliveries;
  }

  async interruptRead(): Promise<boolean> {
    return true;
  }

  /**
   * Acknowledges; a processed message's key may keep its lease and go on with its next message
   * (ordered-ack.lua), which is handed to `hooks.continued` before this resolves.
   */
  async ack(items: readonly AckItem[], outcome: AckOutcome): Promise<void> {
    const { ready, leases, holders, takes, fence, listPrefix } = this.keys;
    const { hooks } = this;
    const args: (string | number)[] = [listPrefix, ACK_OUTCOME_COUNTER[outcome], this.options.claimIdle];
    const runs = new Map<string, number>();
    for (const { entryId } of items) {
      const key = this.keyOf(entryId);
      if (outcome === 'processed' && hooks?.keeps(entryId) === true) {
        args.push(key, entryId, 'k');
        continue;
      }
      const ran = (this.runs.get(entryId) ?? 0) + 1;
      const more = outcome === 'processed' && ran < CONTINUE_LIMIT && hooks?.mayContinue(entryId) === true;
      if (more) runs.set(key, ran);
      args.push(key, entryId, more ? Math.min(RUN_LENGTH, CONTINUE_LIMIT - ran) : '0');
    }
    const written = this.client.vqOrderedAckBuffer(
      ready,
      leases,
      holders,
      takes,
      this.queueKeys.stats,
      fence,
      ...args,
    );
    hooks?.acksSent(items);
    const [, continued] = await written;
    this.forget(items);
    const deliveries: RawDelivery[] = [];
    for (let index = 0; index + 2 < continued.length; index += 3) {
      const key = continued[index];
      // The same key as the message before: the next message of its run.
      const first = index === 0 || !continued[index - 3].equals(key);
      const ran = runs.get(key.toString('utf8')) ?? 0;
      this.leaseRun(key, continued[index + 1], continued[index + 2], ran, first ? 1 : 0, deliveries);
    }
    recordStarted(this.client, this.queueKeys, this.options.consumer, deliveries);
    hooks?.continued(deliveries, items);
  }

  async retry(items: readonly RetryItem[]): Promise<boolean[]> {
    const { ready, leases, holders, takes, listPrefix } = this.keys;
    const args: (string | number)[] = [listPrefix];
    for (const item of items) {
      args.push(this.keyOf(item.entryId), item.entryId, item.delayMs, item.attempt, item.firstAttempt);
    }
    const statuses = await this.client.vqOrderedRetry(
      ready,
      leases,
      holders,
      takes,
      this.queueKeys.stats,
      ...args,
    );
    this.forget(items);
    return statuses.map((status) => Number(status) === 1);
  }

  async moveToDead(items: readonly DeadItem[]): Promise<boolean[]> {
    const { ready, leases, holders, takes, parked, listPrefix } = this.keys;
    const args: (string | number)[] = [listPrefix, this.options.deadLetterMaxLen, this.park];
    for (const item of items) {
      args.push(this.keyOf(item.entryId), item.entryId, ...deadLetterArgs(item));
    }
    const { dead, stats } = this.queueKeys;
    const statuses = await this.client.vqOrderedDead(
      ready,
      leases,
      holders,
      takes,
      dead,
      stats,
      parked,
      ...args,
    );
    this.forget(items);
    return statuses.map((status) => Number(status) === 1);
  }

  /** Renews the leases of the given tokens; resolves those no longer current (reclaimed). */
  async refresh(entryIds: readonly string[]): Promise<string[]> {
    const lost: string[] = [];
    for (let start = 0; start < entryIds.length; start += MAX_BATCH) {
      const chunk = entryIds.slice(start, start + MAX_BATCH).filter((token) => this.leased.has(token));
      if (chunk.length === 0) continue;
      const args: (string | number)[] = [this.options.claimIdle];
      for (const token of chunk) args.push(this.keyOf(token), token);
      lost.push(...(await this.client.vqOrderedRenew(this.keys.leases, this.keys.holders, ...args)));
    }
    return lost;
  }

  /** Ends leases unfinished; `ran`: their handlers ran (the delivery counts), else they never started. */
  async handBack(entryIds: readonly string[], ran = true): Promise<void> {
    const { ready, leases, holders, takes, listPrefix } = this.keys;
    for (let start = 0; start < entryIds.length; start += MAX_BATCH) {
      const chunk = entryIds.slice(start, start + MAX_BATCH).filter((token) => this.leased.has(token));
      if (chunk.length === 0) continue;
      const args: string[] = [listPrefix, ran ? '1' : '0'];
      for (const token of chunk) {
        args.push(this.keyOf(token), token);
        this.release(token);
      }
      await this.client.vqOrderedHandBack(ready, leases, holders, takes, ...args);
    }
  }

  /** Expired leases are freed by every take: there is no separate sweep. */
  async claimIdle(): Promise<ClaimPage> {
    return NOTHING;
  }

  async claimOwn(): Promise<ClaimPage> {
    return NOTHING;
  }

  async cleanupConsumers(): Promise<number> {
    return 0;
  }

  async trimAcked(): Promise<number> {
    return 0;
  }

  async countFailures(count: number): Promise<void> {
    await this.client.hincrby(this.queueKeys.stats, 'failed', count);
  }

  async close(): Promise<void> {
    this.leased.clear();
    this.runs.clear();
    this.followers.clear();
  }

  /**
   * The next message of the run of `entryId` (a processed message), to run here once its ack is
   * sent (the ack then keeps the lease for it, 'k'); undefined when its run has no more.
   */
  nextOfRun(entryId: string): RawDelivery | undefined {
    const rest = this.followers.get(entryId);
    if (!rest) return undefined;
    this.followers.delete(entryId);
    const { token, body } = rest.shift()!;
    if (rest.length > 0) this.followers.set(token, rest);
    return deliveryOf(token, body, 1);
  }

  /** Whether its key goes back to the ready set after this message: it is the CONTINUE_LIMIT-th in a row here. */
  endsRow(entryId: string): boolean {
    return !this.followers.has(entryId) && (this.runs.get(entryId) ?? 0) + 1 >= CONTINUE_LIMIT;
  }

  /** Records the `started` history events of next messages of runs as they start. */
  started(deliveries: readonly RawDelivery[]): void {
    recordStarted(this.client, this.queueKeys, this.options.consumer, deliveries);
  }

  /**
   * Holds one message of a reply: the first of a key's run (`count` > 0: its deliveries), added to
   * `deliveries`, or (`count` 0) the next message of the run of the one before. `ran`: messages its
   * key ran back to back here before the run.
   */
  private leaseRun(
    keyBytes: Buffer,
    tokenBytes: Buffer,
    body: Buffer,
    ran: number,
    count: number,
    deliveries: RawDelivery[],
  ): void {
    const token = tokenBytes.toString('latin1');
    this.leased.set(token, keyBytes.toString('utf8'));
    if (count > 0) {
      this.runs.set(token, ran);
      deliveries.push(deliveryOf(token, body, count));
      this.runHead = token;
      return;
    }
    const run = this.followers.get(this.runHead);
    this.runs.set(token, ran + (run?.length ?? 0) + 1);
    if (run) run.push({ token, body });
    else this.followers.set(this.runHead, [{ token, body }]);
  }

  /** Their outcome is written: the tokens are no longer ours (kept until then, for a retried write). */
  private forget(items: readonly { entryId: string }[]): void {
    for (const item of items) this.release(item.entryId);
  }

  /** A token is no longer ours: neither it nor the rest of its run will run here. */
  private release(token: string): void {
    this.leased.delete(token);
    this.runs.delete(token);
    this.dropRun(token);
  }

  /** The rest of a run that will not run here: its key's lease ended or goes back at the current message. */
  private dropRun(entryId: string): void {
    const rest = this.followers.get(entryId);
    if (!rest) return;
    this.followers.delete(entryId);
    for (const { token } of rest) {
      this.leased.delete(token);
      this.runs.delete(token);
    }
  }

  private keyOf(token: string): string {
    return this.leased.get(token) ?? '';
  }
}

function deliveryOf(token: string, body: Buffer, deliveries: number): RawDelivery {
  const { fields, invalid } = decodeStoredBody(body);
  return invalid === undefined
    ? { entryId: token, fields, deliveries }
    : { entryId: token, fields, deliveries, invalid };
}
