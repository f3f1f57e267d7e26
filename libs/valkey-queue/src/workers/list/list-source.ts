import { Logger } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import type { ValkeyClient } from '../../connection/create-client.js';
import type { ValkeyConnection } from '../../connection/valkey-connection.js';
import { encodeDelayedBody } from '../../envelope/delayed-body.js';
import type { QueueKeys } from '../../utils/keys.util.js';
import { priorityChannel, raisedPriorityKeys } from '../../envelope/priority.js';
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
import type { ResolvedWorkerOptions } from '../../config/worker-options.js';
import { listElementFields, nextListElement } from '../../envelope/list-element.js';
import { recordStarted } from '../record-started.js';
import type { ListConsumerSettings } from './list-consumer-settings.js';
import { listKeyOf } from './list-key.js';
import type { ListReadReply } from './list-reader.js';
import { PriorityListReader } from '../priority/priority-list-reader.js';
import { byteKey, ListRecovery } from './list-recovery.js';

/** Why an element that is not UTF-8 text is broken. */
const NOT_UTF8 = 'element is not valid UTF-8';

/**
 * The list transport of a worker (contract item 22): `BLMOVE` from the queue list into this
 * consumer's in-flight list on a dedicated connection, with list-take.lua right behind it to fill
 * the batch (`ListReader`: one round trip per read). Outcomes remove elements from the in-flight
 * list by value, in batched scripts on the shared connection. A heartbeat key (PX claimIdle,
 * renewed every claimIdle / 3 through `refresh`) and a registration tell the other consumers who
 * is alive; the sweep returns dead consumers' in-flight lists to the queue (`ListRecovery`).
 * Entry ids are per-delivery tokens of this process (list elements have no id of their own).
 * @internal
 */
export class ListSource implements MessageSource {
  /** The list consumed: the key layout's, or the worker's queueNamer's. */
  readonly key: string;
  private readonly logger = new Logger(ListSource.name);
  private readonly inflight: string;
  /** The list's priority lists (1..10): a handed-back element returns to its priority's list. */
  private readonly priorityKeys: string[];
  private readonly heartbeat: string;
  /**
   * The element of every delivery this consumer holds, by entry id, as the bytes read: every move
   * (ack, retry, dead letter, hand-back) removes an element by value, so by its exact bytes.
   */
  private readonly elements = new Map<string, Buffer>();
  private readonly recovery: ListRecovery;
  private readonly reader: PriorityListReader;
  private sequence = 0;
  /** Registered since the last start: leave on close. */
  private joined = false;

  constructor(
    private readonly connection: ValkeyConnection,
    private readonly keys: QueueKeys,
    private readonly options: ResolvedWorkerOptions,
    /** Entry ids of every delivery the consumer holds (running, or waiting for its outcome). */
    private readonly heldIds: () => string[],
  ) {
    this.key = listKeyOf(options.queue, keys, options.queueNamer, connection.client);
    this.inflight = keys.inflight(options.consumer);
    this.priorityKeys = raisedPriorityKeys(this.key);
    this.heartbeat = keys.heartbeat(options.consumer);
    const settings: ListConsumerSettings = {
      keys,
      queue: options.queue,
      consumer: options.consumer,
      list: this.key,
      inflight: this.inflight,
      heartbeat: this.heartbeat,
      heartbeatTtl: options.claimIdle,
    };
    this.reader = new PriorityListReader(connection, settings, options.priorityPolicy);
    this.recovery = new ListRecovery({ ...settings, client: connection.client, logger: this.logger });
  }

  private get client(): ValkeyClient {
    return this.connection.client;
  }

  async prepare(): Promise<void> {
    // Known to the others before anything can be in flight.
    await this.recovery.beat();
    this.joined = true;
    await this.reader.connect();
  }

  async openReadConnection(): Promise<void> {
    await this.reader.connect();
  }

  async read(count: number, blockMs: number): Promise<RawDelivery[]> {
    return this.deliveries(await this.reader.read(count, blockMs));
  }

  ackAndRead(
    acks: readonly AckItem[],
    count: number,
    blockMs: number,
  ): { acked: Promise<void>; read: Promise<RawDelivery[]> } | undefined {
    const args = this.ackArgs(acks, 'processed');
    const sent = this.reader.readAfter(
      (client) => client.vqListAck(...args).then(() => this.forget(acks)),
      count,
      blockMs,
    );
    return sent && { acked: sent.sent, read: sent.read.then((reply) => this.deliveries(reply)) };
  }

  /** Where senders announce a priority of this list (workers/priority). */
  get priorityChannel(): string {
    return priorityChannel(this.key);
  }

  /** A sender announced a priority of this list (workers/priority). */
  priorityAnnounced(): void {
    this.reader.priorityAnnounced();
  }

  interruptRead(): Promise<boolean> {
    return this.reader.interrupt(this.client);
  }

  private deliveries([first, taken]: ListReadReply): RawDelivery[] {
    const deliveries: RawDelivery[] = [];
    if (first !== null) deliveries.push(this.delivery(first, Number(taken[0])));
    for (let index = 1; index + 1 < taken.length; index += 2) {
      deliveries.push(this.delivery(taken[index] as Buffer, Number(taken[index + 1])));
    }
    recordStarted(this.client, this.keys, this.options.consumer, deliveries);
    return deliveries;
  }

  private delivery(element: Buffer, deliveries: number): RawDelivery {
    this.sequence += 1;
    const entryId = `list-${this.sequence}`;
    this.elements.set(entryId, element);
    const count = Math.max(1, deliveries || 1);
    const text = element.toString('utf8');
    // Not UTF-8 text: broken whatever it holds; its dead letter keeps the bytes (moveToDead).
    if (!isUtf8(element)) return { entryId, fields: ['raw', text], deliveries: count, invalid: NOT_UTF8 };
    return { entryId, fields: listElementFields(text), deliveries: count };
  }

  async ack(items: readonly AckItem[], outcome: AckOutcome): Promise<void> {
    await this.client.vqListAck(...this.ackArgs(items, outcome));
    this.forget(items);
  }

  private ackArgs(items: readonly AckItem[], outcome: AckOutcome): [number, ...(string | Buffer | number)[]] {
    const marking = outcome === 'processed' && this.options.idempotent;
    const elements: Buffer[] = [];
    const markers: string[] = [];
    for (const item of items) {
      const element = this.elements.get(item.entryId);
      if (element === undefined) continue;
      elements.push(element);
      if (marking) markers.push(this.keys.done(item.id));
    }
    return [
      3 + markers.length,
      this.inflight,
      this.keys.stats,
      this.keys.listDeliveries,
      ...markers,
      markers.length > 0 ? this.options.processedTtl : 0,
      ACK_OUTCOME_COUNTER[outcome],
      ...elements,
    ];
  }

  async retry(items: readonly RetryItem[]): Promise<boolean[]> {
    const args: (string | Buffer | number)[] = [];
    const sent = this.known(items, (item, element) =>
      args.push(
        element,
        item.id,
        item.delayMs,
        nextListElement(element.toString('utf8'), item.fields, item.attempt, item.firstAttempt),
      ),
    );
    if (sent.length === 0) return items.map(() => false);
    const { keys } = this;
    const statuses = await this.client.vqListRetry(
      this.inflight,
      keys.delayed,
      keys.delayedBodies,
      keys.stats,
      keys.listDeliveries,
      ...args,
    );
    this.forget(items);
    return this.byItem(items, sent, statuses);
  }

  async moveToDead(items: readonly DeadItem[]): Promise<boolean[]> {
    const args: (string | Buffer | number)[] = [this.options.deadLetterMaxLen, this.key];
    const sent = this.known(items, (item, element) =>
      args.push(
        element,
        ...deadLetterArgs(item),
        // No fields for an element that is not UTF-8 text: the script keeps its bytes whole in `raw`.
        isUtf8(element) ? encodeDelayedBody(item.fields) : '',
      ),
    );
    if (sent.length === 0) return items.map(() => false);
    const statuses = await this.client.vqListMoveToDead(
      this.inflight,
      this.keys.dead,
      this.keys.stats,
      this.keys.listDeliveries,
      ...args,
    );
    this.forget(items);
    return this.byItem(items, sent, statuses);
  }

  /** Renews the heartbeat; when it had lapsed, reports the given deliveries no longer in our in-flight list. */
  async refresh(entryIds: readonly string[]): Promise<string[]> {
    if ((await this.recovery.beat()) === 1 || entryIds.length === 0) return [];
    const stored = await this.client.lrangeBuffer(this.inflight, 0, -1);
    const present = new Set(stored.map(byteKey));
    return entryIds.filter((entryId) => {
      const element = this.elements.get(entryId);
      return element !== undefined && !present.has(byteKey(element));
    });
  }

  /**
   * Returns unfinished messages to the head of the queue. Only those whose handler ran count as a
   * delivery: messages taken while stopping (list-take.lua runs after the unblocked BLMOVE) go
   * back untouched, so restarts never push waiting messages towards the delivery limit.
   */
  async handBack(entryIds: readonly string[], started = false): Promise<void> {
    const elements = entryIds.flatMap((entryId) => this.elements.get(entryId) ?? []);
    // Bounded script calls (each LREM scans the in-flight list), the last chunk first, so the
    // first element given is still the first one read again.
    const last = Math.floor(Math.max(0, elements.length - 1) / MAX_BATCH) * MAX_BATCH;
    for (let start = last; start >= 0 && elements.length > 0; start -= MAX_BATCH) {
      await this.client.vqListHandBackRouted(
        13,
        this.inflight,
        this.key,
        this.keys.listDeliveries,
        ...this.priorityKeys,
        started ? '1' : '0',
        ...elements.slice(start, start + MAX_BATCH),
      );
    }
    for (const entryId of entryIds) this.elements.delete(entryId);
  }

  /** One sweep: reap dead consumers of our list, then return what we hold without tracking it. */
  async claimIdle(): Promise<ClaimPage> {
    const [registry, length] = await Promise.all([
      this.client.hgetall(this.keys.listConsumers),
      this.client.llen(this.inflight),
    ]);
    await this.recovery.reap(registry);
    await this.recovery.reconcile(length, this.tracked());
    return { deliveries: [], done: true };
  }

  /** At start under a stable name: whatever an earlier run left in our in-flight list goes back to the queue. */
  async claimOwn(): Promise<ClaimPage> {
    await this.recovery.reconcile(await this.client.llen(this.inflight), this.tracked());
    return { deliveries: [], done: true };
  }

  /** Dead list consumers are unregistered by the reaper (list-reap.lua); nothing else to clean. */
  async cleanupConsumers(): Promise<number> {
    return 0;
  }

  /** Lists keep no acknowledged messages. */
  async trimAcked(): Promise<number> {
    return 0;
  }

  async countFailures(count: number): Promise<void> {
    await this.client.hincrby(this.keys.stats, 'failed', count);
  }

  /** Releases the read connection; a polite close also leaves the consumer registry (when nothing is in flight). */
  async close(force = false): Promise<void> {
    await this.reader.close(force);
    if (force || !this.joined) return;
    this.joined = false;
    await this.recovery.leave();
  }

  /** Elements of the deliveries the consumer still holds; forgets those it no longer holds. */
  private tracked(): Buffer[] {
    const held = new Set(this.heldIds());
    const tracked: Buffer[] = [];
    for (const [entryId, element] of this.elements) {
      if (held.has(entryId)) tracked.push(element);
      else this.elements.delete(entryId); // outcome given up, or released without one
    }
    return tracked;
  }

  /** Calls `add` for each item whose element we know; resolves their indexes. */
  private known<T extends { entryId: string }>(
    items: readonly T[],
    add: (item: T, element: Buffer) => void,
  ): number[] {
    const sent: number[] = [];
    items.forEach((item, index) => {
      const element = this.elements.get(item.entryId);
      if (element === undefined) return;
      add(item, element);
      sent.push(index);
    });
    return sent;
  }

  private byItem(items: readonly unknown[], sent: number[], statuses: number[]): boolean[] {
    const result = items.map(() => false);
    sent.forEach((index, position) => {
      result[index] = Number(statuses[position]) === 1;
    });
    return result;
  }

  private forget(items: readonly { entryId: string }[]): void {
    for (const item of items) this.elements.delete(item.entryId);
  }
}
