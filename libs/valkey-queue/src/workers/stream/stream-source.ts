import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { ValkeyClient } from '../../connection/create-client.js';
import { unblockByName } from '../../connection/unblock-by-name.js';
import { markLiveArgs } from '../../connection/server-capabilities.js';
import type { ValkeyConnection } from '../../connection/valkey-connection.js';
import { encodeDelayedBody } from '../../envelope/delayed-body.js';
import { defineLuaScripts, usesHistoryScripts } from '../../lua/lua-scripts.js';
import { DeleteOnAckRefusedError } from '../../errors/delete-on-ack-refused.error.js';
import type { QueueKeys } from '../../utils/keys.util.js';
import { errorMessage } from '../../utils/with-timeout.util.js';
import type {
  AckItem,
  AckOutcome,
  ClaimPage,
  DeadItem,
  MessageSource,
  RawDelivery,
  RetryItem,
} from '../message-source.interface.js';
import { ACK_OUTCOME_COUNTER, deadLetterArgs } from '../message-source.interface.js';
import { MAX_BATCH } from '../outcome-batcher.js';
import { recordStarted } from '../record-started.js';
import { SEND_RETRY_HORIZON_MS } from '../../sender/plain-send.js';
import type { ResolvedWorkerOptions } from '../../config/worker-options.js';
import { invalidUtf8Entries, suspectEntryIds } from '../../utils/utf8.util.js';
import {
  isMissingGroup,
  streamEntries,
  toDelivery,
  withInvalid,
  type ClaimedEntry,
} from './stream-replies.js';
import { ackEntryArgs } from './ack-entry-args.js';

const NO_ENTRIES: ReadonlyMap<string, string> = new Map();

/**
 * The stream transport of a worker: XREADGROUP on a dedicated blocking connection, everything else
 * (acks, retries, dead letters, claims) as batched Lua scripts on the shared command connection.
 * @internal
 */
export class StreamSource implements MessageSource {
  private readonly logger = new Logger(StreamSource.name);
  private blocking?: ValkeyClient;
  /** CLIENT SETNAME of the read connection (`vq:` + purpose), unique per worker and process. */
  private readonly blockingName: string;
  private opening?: Promise<ValkeyClient>;
  private scriptsOnBlocking = false;
  private sweepCursor = '0-0';
  private ownCursor = '0-0';
  private readonly flags: { del: string; noAck: string };
  /** Before Redis 7.2 a blocked read leaves `idle` running: each read then marks the consumer live first. */
  private markLive = true;

  constructor(
    private readonly connection: ValkeyConnection,
    private readonly keys: QueueKeys,
    private readonly options: ResolvedWorkerOptions,
  ) {
    this.flags = { del: options.deleteOnAck ? '1' : '0', noAck: options.noAck ? '1' : '0' };
    // CLIENT SETNAME refuses spaces; ValkeyConnection prefixes the purpose with `vq:`.
    this.blockingName = `vq:worker:${options.queue}:${options.group}:${options.consumer}`.replace(/\s/g, '_');
  }

  private get client(): ValkeyClient {
    return this.connection.client;
  }

  async prepare(): Promise<void> {
    // The read connection opens while the group is made: start-up waits for the longer, not the sum.
    const opening = this.blockingClient();
    try {
      // In one write: the server's capabilities (asked once per module) and the group.
      const [capabilities] = await Promise.all([this.connection.capabilities(), this.ensureGroup()]);
      this.markLive = !capabilities.idleCountsReadAttempts;
      if (this.options.deleteOnAck) {
        const groups = (await this.client.call('XINFO', 'GROUPS', this.keys.stream)) as unknown[][];
        const names = groups.map((group) => String(group[group.indexOf('name') + 1]));
        if (names.length > 1) throw new DeleteOnAckRefusedError(this.options.queue, names);
      }
    } catch (error) {
      await opening.catch(() => undefined); // open (or failed) before the caller closes this source
      throw error;
    }
    await opening;
  }

  async openReadConnection(): Promise<void> {
    await this.blockingClient();
  }

  async read(count: number, blockMs: number): Promise<RawDelivery[]> {
    const client = await this.blockingClient();
    this.sendMarkLive(client);
    return this.readReply(client.call('XREADGROUP', ...this.readArgs(count, blockMs)), client);
  }

  ackAndRead(
    acks: readonly AckItem[],
    count: number,
    blockMs: number,
  ): { acked: Promise<void>; read: Promise<RawDelivery[]> } | undefined {
    const client = this.blocking;
    // Standalone / Sentinel only, and only while connected: a Cluster client routes per node.
    if (!(client instanceof Redis) || client.status !== 'ready' || !this.scriptsOnBlocking) return undefined;
    // Both commands leave in one write; each settles on its own reply (the ack before the read blocks).
    client.stream.cork();
    const acked = client.vqAck(...this.ackArgs(acks, 'processed', client)).then(() => undefined);
    this.sendMarkLive(client);
    const reply = client.call('XREADGROUP', ...this.readArgs(count, blockMs));
    process.nextTick(() => client.stream.uncork());
    return { acked, read: this.readReply(reply, client) };
  }

  /**
   * Where `idle` counts only reads that delivered, a live consumer blocked on an empty queue would
   * look idle to the other consumers' clean-up (contract 41): a read is then preceded, back to back
   * on the same connection (no extra round trip), by a read that delivers nothing but restarts `idle`.
   * Its reply is of no interest; a failure shows in the read after it.
   */
  private sendMarkLive(client: ValkeyClient): void {
    if (!this.markLive) return;
    const { group, consumer } = this.options;
    client.call('XREADGROUP', ...markLiveArgs(group, consumer, this.keys.stream)).catch(() => undefined);
  }

  private readArgs(count: number, blockMs: number): (string | number)[] {
    const { group, consumer, noAck } = this.options;
    const args: (string | number)[] = [
      'GROUP',
      group,
      consumer,
      'COUNT',
      count,
      'BLOCK',
      Math.max(1, blockMs),
    ];
    if (noAck) args.push('NOACK');
    args.push('STREAMS', this.keys.stream, '>');
    return args;
  }

  /**
   * `client`: the read's connection. The `started` events go out on it, ahead of any ack that rides
   * a later read (ackAndRead), so a success never reaches the history stream before its start.
   */
  private async readReply(pending: Promise<unknown>, client: ValkeyClient): Promise<RawDelivery[]> {
    let reply: unknown;
    try {
      reply = await pending;
    } catch (error) {
      if (!isMissingGroup(error)) throw error;
      const { group, queue } = this.options;
      this.logger.warn(`Consumer group '${group}' of queue '${queue}' vanished; recreating it`);
      await this.ensureGroup();
      return [];
    }
    const entries = streamEntries(reply);
    const checked = this.invalidEntries(entries);
    const invalid = checked instanceof Promise ? await checked : checked; // no extra tick for valid text
    const deliveries: RawDelivery[] = new Array(entries.length);
    for (let index = 0; index < entries.length; index += 1) {
      const [entryId, fields] = entries[index];
      deliveries[index] = withInvalid({ entryId, fields: fields ?? [], deliveries: 1 }, invalid);
    }
    recordStarted(client, this.keys, this.options.consumer, deliveries);
    return deliveries;
  }

  /** Claimed entries as deliveries, those whose stored bytes are not UTF-8 text marked. */
  private async claimedDeliveries(claimed: readonly ClaimedEntry[]): Promise<RawDelivery[]> {
    const invalid = await this.invalidEntries(claimed);
    const deliveries = claimed.map((entry) => withInvalid(toDelivery(entry), invalid));
    recordStarted(this.client, this.keys, this.options.consumer, deliveries);
    return deliveries;
  }

  /**
   * Entries whose stored bytes are not UTF-8 text (broken, dead-lettered byte for byte by entry
   * id). Valid text costs a scan for U+FFFD; only entries holding it are re-read as bytes.
   */
  private invalidEntries(
    entries: readonly (readonly [string, readonly string[] | null, ...unknown[]])[],
  ): ReadonlyMap<string, string> | Promise<ReadonlyMap<string, string>> {
    const suspects = suspectEntryIds(entries);
    return suspects.length === 0 ? NO_ENTRIES : invalidUtf8Entries(this.client, this.keys.stream, suspects);
  }

  async interruptRead(): Promise<boolean> {
    const blocking = this.blocking;
    if (!blocking) return true;
    if (blocking.status !== 'ready') return false; // reconnecting: the read waits in ioredis, not on the server
    // Best effort: the caller falls back to closing the connection.
    await unblockByName(this.client, this.blockingName);
    return true;
  }

  async ack(items: readonly AckItem[], outcome: AckOutcome): Promise<void> {
    await this.client.vqAck(...this.ackArgs(items, outcome, this.client));
  }

  /** `client`: the connection the call goes to; its scripts decide the entry arguments' layout. */
  private ackArgs(
    items: readonly AckItem[],
    outcome: AckOutcome,
    client: ValkeyClient,
  ): [number, ...(string | number)[]] {
    const markers =
      outcome === 'processed' && this.options.idempotent ? items.map((item) => this.keys.done(item.id)) : [];
    return [
      2 + markers.length,
      this.keys.stream,
      this.keys.stats,
      ...markers,
      this.options.group,
      this.flags.del,
      markers.length > 0 ? this.options.processedTtl : 0,
      ACK_OUTCOME_COUNTER[outcome],
      this.flags.noAck,
      ...ackEntryArgs(items, usesHistoryScripts(client)),
    ];
  }

  async retry(items: readonly RetryItem[]): Promise<boolean[]> {
    const args: (string | number)[] = [this.options.group, this.options.consumer, this.flags.del];
    for (const item of items) {
      args.push(
        item.entryId,
        item.id,
        item.delayMs,
        item.attempt,
        item.firstAttempt,
        encodeDelayedBody(item.fields),
      );
    }
    const statuses = await this.client.vqRetry(
      this.keys.stream,
      this.keys.delayed,
      this.keys.delayedBodies,
      this.keys.stats,
      ...args,
    );
    return statuses.map((status) => Number(status) === 1);
  }

  async moveToDead(items: readonly DeadItem[]): Promise<boolean[]> {
    const { group, consumer, deadLetterMaxLen } = this.options;
    const args: (string | number)[] = [group, consumer, this.flags.del, deadLetterMaxLen, this.flags.noAck];
    for (const item of items) {
      args.push(item.entryId, ...deadLetterArgs(item), encodeDelayedBody(item.fields));
    }
    const statuses = await this.client.vqMoveToDead(
      this.keys.stream,
      this.keys.dead,
      this.keys.stats,
      ...args,
    );
    return statuses.map((status) => Number(status) === 1);
  }

  refresh(entryIds: readonly string[]): Promise<string[]> {
    return this.setIdle(entryIds, 0);
  }

  async handBack(entryIds: readonly string[]): Promise<void> {
    await this.setIdle(entryIds, this.options.claimIdle);
  }

  async claimIdle(max: number): Promise<ClaimPage> {
    const { group, consumer, claimIdle } = this.options;
    let reply: [string, ClaimedEntry[], number];
    try {
      // A new sweep over a group with nothing pending (the idle case) costs one plain command.
      if (this.sweepCursor === '0-0' && (await this.pendingCount()) === 0) {
        return { deliveries: [], done: true, nothingPending: true };
      }
      reply = await this.client.vqClaimIdle(
        this.keys.stream,
        group,
        consumer,
        claimIdle,
        this.sweepCursor,
        max,
      );
    } catch (error) {
      if (!isMissingGroup(error)) throw error;
      await this.ensureGroup();
      this.sweepCursor = '0-0';
      return { deliveries: [], done: true };
    }
    const [next, claimed, deleted] = reply;
    if (Number(deleted) > 0) {
      this.logger.warn(
        `${deleted} pending entries of queue '${this.options.queue}' were deleted before handling`,
      );
    }
    this.sweepCursor = next;
    return { deliveries: await this.claimedDeliveries(claimed), done: next === '0-0' };
  }

  /** Entries pending in the group, any consumer (the XPENDING summary form). */
  private async pendingCount(): Promise<number> {
    const [count] = (await this.client.xpending(this.keys.stream, this.options.group)) as [number];
    return Number(count);
  }

  async claimOwn(max: number): Promise<ClaimPage> {
    const { group, consumer } = this.options;
    const [last, claimed] = await this.client.vqClaimOwn(
      this.keys.stream,
      group,
      consumer,
      this.ownCursor,
      Math.min(max, MAX_BATCH), // the script spreads the page's ids into one XCLAIM
    );
    if (last) this.ownCursor = last;
    return { deliveries: await this.claimedDeliveries(claimed), done: !last };
  }

  async cleanupConsumers(minIdleMs: number): Promise<number> {
    const { group, consumer } = this.options;
    const replies = (await this.client.call('XINFO', 'CONSUMERS', this.keys.stream, group)) as unknown[][];
    let removed = 0;
    for (const reply of replies) {
      const info = new Map<string, unknown>();
      for (let index = 0; index + 1 < reply.length; index += 2)
        info.set(String(reply[index]), reply[index + 1]);
      const name = String(info.get('name'));
      if (name === consumer || Number(info.get('pending')) > 0 || Number(info.get('idle')) < minIdleMs)
        continue;
      if ((await this.client.vqDeleteIdleConsumer(this.keys.stream, group, name, minIdleMs)) === 1)
        removed += 1;
    }
    return removed;
  }

  async trimAcked(): Promise<number> {
    return Math.max(0, await this.client.vqTrimAcked(this.keys.stream, SEND_RETRY_HORIZON_MS));
  }

  async countFailures(count: number): Promise<void> {
    await this.client.hincrby(this.keys.stats, 'failed', count);
  }

  /** Releases the read connection; `force` cuts it at once (a QUIT would wait behind a blocked read). */
  async close(force = false): Promise<void> {
    const blocking = this.blocking;
    this.blocking = undefined;
    this.scriptsOnBlocking = false;
    if (!blocking) return;
    if (force) blocking.disconnect();
    await this.connection.release(blocking);
  }

  /** Sets the idle time of every given entry still ours, MAX_BATCH ids per script call; resolves those no longer ours. */
  private async setIdle(entryIds: readonly string[], idleMs: number): Promise<string[]> {
    if (entryIds.length === 0 || this.options.noAck) return [];
    const { group, consumer } = this.options;
    const lost: string[] = [];
    for (let start = 0; start < entryIds.length; start += MAX_BATCH) {
      const chunk = entryIds.slice(start, start + MAX_BATCH);
      lost.push(...(await this.client.vqRefreshClaims(this.keys.stream, group, consumer, idleMs, ...chunk)));
    }
    return lost;
  }

  private async ensureGroup(): Promise<void> {
    try {
      // From 0, so messages sent before any worker ever ran are delivered too.
      await this.client.xgroup('CREATE', this.keys.stream, this.options.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test(errorMessage(error))) throw error;
    }
  }

  private blockingClient(): Promise<ValkeyClient> {
    if (this.blocking) return Promise.resolve(this.blocking);
    this.opening ??= this.openBlocking().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openBlocking(): Promise<ValkeyClient> {
    const client = await this.connection.createBlockingConnection(this.blockingName.slice('vq:'.length));
    this.blocking = client;
    // The read connection also carries acks sent together with a read (ackAndRead).
    defineLuaScripts(client);
    this.scriptsOnBlocking = true;
    return client;
  }
}
