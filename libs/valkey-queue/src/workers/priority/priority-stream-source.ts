import { Logger } from '@nestjs/common';
import type { ValkeyClient } from '../../connection/create-client.js';
import { unblockByName } from '../../connection/unblock-by-name.js';
import type { ValkeyConnection } from '../../connection/valkey-connection.js';
import type { ResolvedWorkerOptions } from '../../config/worker-options.js';
import { defineLuaScripts } from '../../lua/lua-scripts.js';
import type { QueueKeys } from '../../utils/keys.util.js';
import { invalidUtf8Entries, suspectEntryIds } from '../../utils/utf8.util.js';
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
import { StreamSource } from '../stream/stream-source.js';
import { isMissingGroup, withInvalid, type StreamEntry } from '../stream/stream-replies.js';
import { PriorityDiscovery, readSettings, splitByPriority, taggedId, untaggedId } from './priority-reads.js';
import { priorityChannel, priorityKey } from '../../envelope/priority.js';
import type { PriorityAwareSource } from './priority-signals.js';

const NO_ENTRIES: ReadonlyMap<string, string> = new Map();

/** One priority stream of the queue with the source that acks, retries and claims on it. */
interface PriorityStream {
  readonly priority: number;
  readonly key: string;
  readonly source: StreamSource;
}

/**
 * The stream transport with priorities (docs/architecture.md, "Priorities"). Priority 0 is the
 * queue's stream, read by `base` exactly as without priorities: until a stream of a higher priority
 * exists (`<stream>:p<n>`, created by the first send of that priority), every call goes straight to
 * `base`, so a queue that never uses priorities runs the same commands as before.
 *
 * Once priority streams exist, the consumer group is created on each (from 0: nothing sent before
 * is missed) and a read is read-priorities.lua (highest first, or weighted shares), then, when
 * every stream is empty, one blocking XREADGROUP over all of them, highest first, on a read
 * connection of its own. Entries of a priority above 0 get the entry id `<id>@p<n>`, so every
 * outcome finds its stream; the per-stream work (acks, retries, dead letters, claims, clean-up,
 * trimming) is done by one `StreamSource` per priority stream.
 * @internal
 */
export class PriorityStreamSource implements MessageSource, PriorityAwareSource {
  readonly priorityChannel: string;
  private readonly logger = new Logger(PriorityStreamSource.name);
  /** Priority streams above 0 known to exist (with our group on them), highest first. */
  private raised: PriorityStream[] = [];
  private readonly discovery: PriorityDiscovery;
  private blocking?: ValkeyClient;
  private opening?: Promise<ValkeyClient>;
  private readonly blockingName: string;
  /** Which stream the reclaim sweep is on (0 = base, i = raised[i - 1]). */
  private sweepIndex = 0;
  private sweepNothingPending = true;
  private ownIndex = 0;
  /** Set once a priority stream was seen: until then every delivery id is a plain entry id of `base`. */
  private tagged = false;

  constructor(
    private readonly connection: ValkeyConnection,
    private readonly keys: QueueKeys,
    private readonly options: ResolvedWorkerOptions,
    private readonly base: StreamSource,
  ) {
    this.discovery = new PriorityDiscovery(() => connection.client, keys.stream);
    this.priorityChannel = priorityChannel(keys.stream);
    this.blockingName = `vq:worker-priorities:${options.queue}:${options.group}:${options.consumer}`.replace(
      /\s/g,
      '_',
    );
  }

  private get client(): ValkeyClient {
    return this.connection.client;
  }

  /** A sender announced a priority: look for its stream at the next read, and end a blocked read now. */
  priorityAnnounced(priority?: string): void {
    this.discovery.soon();
    // A blocked read watches only the streams known: end it when the announced one is not among them.
    if (this.raised.some((stream) => String(stream.priority) === priority)) return;
    void this.interruptRead().catch(() => undefined);
  }

  openReadConnection(): Promise<void> {
    return this.base.openReadConnection();
  }

  async prepare(): Promise<void> {
    // The look for priority streams goes out with the base's commands: one round trip, not two.
    // Our group goes on those found only once the base accepted this worker (deleteOnAck may refuse).
    const [found] = await Promise.all([this.discovery.check(true), this.base.prepare()]);
    await this.addStreams(found);
  }

  async read(count: number, blockMs: number): Promise<RawDelivery[]> {
    await this.discover(false);
    if (this.raised.length === 0) return this.base.read(count, blockMs);
    try {
      const taken = await this.readByPriority(count);
      if (taken.length > 0) return taken;
      return await this.blockingRead(blockMs);
    } catch (error) {
      if (!isMissingGroup(error)) throw error;
      this.logger.warn(`A priority stream of queue '${this.options.queue}' lost its group; looking again`);
      this.raised = [];
      await this.discover(true);
      return [];
    }
  }

  ackAndRead(
    acks: readonly AckItem[],
    count: number,
    blockMs: number,
  ): { acked: Promise<void>; read: Promise<RawDelivery[]> } | undefined {
    // Sent together only without priorities: a read then is the plain one, no discovery due.
    if (this.raised.length > 0 || this.discovery.due()) return undefined;
    return this.base.ackAndRead(acks, count, blockMs);
  }

  async interruptRead(): Promise<boolean> {
    const [base] = await Promise.all([
      this.base.interruptRead(),
      this.blocking?.status === 'ready' ? unblockByName(this.client, this.blockingName) : undefined,
    ]);
    return base && (this.blocking === undefined || this.blocking.status === 'ready');
  }

  async ack(items: readonly AckItem[], outcome: AckOutcome): Promise<void> {
    if (!this.tagged) return this.base.ack(items, outcome);
    await Promise.all(this.byStream(items).map(([source, part]) => source.ack(part.map(untagItem), outcome)));
  }

  retry(items: readonly RetryItem[]): Promise<boolean[]> {
    if (!this.tagged) return this.base.retry(items);
    return this.perItem(items, (source, part) => source.retry(part.map(untagItem)));
  }

  moveToDead(items: readonly DeadItem[]): Promise<boolean[]> {
    if (!this.tagged) return this.base.moveToDead(items);
    return this.perItem(items, (source, part) => source.moveToDead(part.map(untagItem)));
  }

  async refresh(entryIds: readonly string[]): Promise<string[]> {
    if (!this.tagged) return this.base.refresh(entryIds);
    const lost = await Promise.all(
      this.byStream(entryIds.map((entryId) => ({ entryId }))).map(async ([source, part, priority]) =>
        (await source.refresh(part.map(({ entryId }) => untaggedId(entryId)))).map((id) =>
          taggedId(id, priority),
        ),
      ),
    );
    return lost.flat();
  }

  async handBack(entryIds: readonly string[]): Promise<void> {
    if (!this.tagged) return this.base.handBack(entryIds);
    await Promise.all(
      this.byStream(entryIds.map((entryId) => ({ entryId }))).map(([source, part]) =>
        source.handBack(part.map(({ entryId }) => untaggedId(entryId))),
      ),
    );
  }

  async claimIdle(max: number): Promise<ClaimPage> {
    if (this.raised.length === 0) return this.base.claimIdle(max);
    const streams = this.allStreams();
    while (this.sweepIndex < streams.length) {
      const { priority, source } = streams[this.sweepIndex];
      const page = await source.claimIdle(max);
      this.sweepNothingPending &&= page.nothingPending === true;
      if (page.done) this.sweepIndex += 1;
      if (page.deliveries.length > 0 || !page.done) {
        return { deliveries: tagged(page.deliveries, priority), done: false };
      }
    }
    const nothingPending = this.sweepNothingPending;
    this.sweepIndex = 0;
    this.sweepNothingPending = true;
    return { deliveries: [], done: true, nothingPending };
  }

  async claimOwn(max: number): Promise<ClaimPage> {
    const streams = this.allStreams();
    while (this.ownIndex < streams.length) {
      const { priority, source } = streams[this.ownIndex];
      const page = await source.claimOwn(max);
      if (page.done) this.ownIndex += 1;
      if (page.deliveries.length > 0 || !page.done) {
        return { deliveries: tagged(page.deliveries, priority), done: this.ownIndex >= streams.length };
      }
    }
    this.ownIndex = 0;
    return { deliveries: [], done: true };
  }

  async cleanupConsumers(minIdleMs: number): Promise<number> {
    const removed = await Promise.all(
      this.allStreams().map(({ source }) => source.cleanupConsumers(minIdleMs)),
    );
    return removed.reduce((sum, count) => sum + count, 0);
  }

  async trimAcked(): Promise<number> {
    const removed = await Promise.all(this.allStreams().map(({ source }) => source.trimAcked()));
    return removed.reduce((sum, count) => sum + count, 0);
  }

  countFailures(count: number): Promise<void> {
    return this.base.countFailures(count);
  }

  async close(force = false): Promise<void> {
    const blocking = this.blocking;
    this.blocking = undefined;
    if (blocking) {
      if (force) blocking.disconnect();
      await this.connection.release(blocking);
    }
    await this.base.close(force);
  }

  /** Looks for new priority streams (when due, or `now`) and puts our group on each found. */
  private async discover(now: boolean): Promise<void> {
    await this.addStreams(await this.discovery.check(now));
  }

  /** Puts our group on each priority stream `found` that is not read yet. */
  private async addStreams(found: number[] | undefined): Promise<void> {
    if (!found) return;
    const known = new Set(this.raised.map(({ priority }) => priority));
    const added = found.filter((priority) => !known.has(priority));
    if (added.length === 0) return;
    this.tagged = true;
    for (const priority of added) {
      const key = priorityKey(this.keys.stream, priority);
      await this.ensureGroup(key);
      const source = new StreamSource(this.connection, { ...this.keys, stream: key }, this.options);
      this.raised.push({ priority, key, source });
    }
    this.raised.sort((a, b) => b.priority - a.priority);
    this.logger.debug(`Queue '${this.options.queue}' reads priorities ${this.raised.map((s) => s.priority)}`);
  }

  private async ensureGroup(key: string): Promise<void> {
    try {
      // From 0: messages sent before the group existed are delivered too.
      await this.client.xgroup('CREATE', key, this.options.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test(errorMessage(error))) throw error;
    }
  }

  /** Every stream, highest priority first, priority 0 (the base) last. */
  private allStreams(): PriorityStream[] {
    return [...this.raised, { priority: 0, key: this.keys.stream, source: this.base }];
  }

  private async readByPriority(count: number): Promise<RawDelivery[]> {
    const streams = this.allStreams();
    const { group, consumer, noAck, priorityPolicy } = this.options;
    const reply = await this.client.vqReadPriorities(
      streams.length,
      ...streams.map(({ key }) => key),
      ...readSettings(group, consumer, count, noAck, priorityPolicy, streams),
    );
    const deliveries: RawDelivery[] = [];
    for (let index = 0; index + 1 < reply.length; index += 2) {
      const stream = streams[Number(reply[index]) - 1];
      deliveries.push(...(await this.deliveries(stream, reply[index + 1] as StreamEntry[])));
    }
    return deliveries;
  }

  /** Waits for the first message of any priority; one entry per stream at most (the next read takes the rest). */
  private async blockingRead(blockMs: number): Promise<RawDelivery[]> {
    const client = await this.blockingClient();
    const streams = this.allStreams();
    const { group, consumer, noAck } = this.options;
    const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', 1, 'BLOCK', Math.max(1, blockMs)];
    if (noAck) args.push('NOACK');
    args.push('STREAMS', ...streams.map(({ key }) => key), ...streams.map(() => '>'));
    const reply = await client.call('XREADGROUP', ...args);
    const deliveries: RawDelivery[] = [];
    for (const [key, entries] of keyedEntries(reply)) {
      const stream = streams.find((candidate) => candidate.key === key);
      if (stream) deliveries.push(...(await this.deliveries(stream, entries)));
    }
    return deliveries;
  }

  private async deliveries(stream: PriorityStream, entries: readonly StreamEntry[]): Promise<RawDelivery[]> {
    const suspects = suspectEntryIds(entries);
    const invalid =
      suspects.length === 0 ? NO_ENTRIES : await invalidUtf8Entries(this.client, stream.key, suspects);
    return entries.map(([entryId, fields]) => {
      const delivery = withInvalid({ entryId, fields: fields ?? [], deliveries: 1 }, invalid);
      return stream.priority === 0 ? delivery : { ...delivery, entryId: taggedId(entryId, stream.priority) };
    });
  }

  /** Items grouped by the stream their entry id names: `[source, items, priority]`. */
  private byStream<T extends { entryId: string }>(items: readonly T[]): [StreamSource, T[], number][] {
    const groups = splitByPriority(items);
    const result: [StreamSource, T[], number][] = [];
    for (const [priority, part] of groups) {
      const source =
        priority === 0 ? this.base : this.raised.find((stream) => stream.priority === priority)?.source;
      // A stream we no longer know (it lost its group): its entries are reclaimed by the next sweep.
      if (source) result.push([source, part, priority]);
    }
    return result;
  }

  private async perItem<T extends { entryId: string }>(
    items: readonly T[],
    run: (source: StreamSource, part: T[]) => Promise<boolean[]>,
  ): Promise<boolean[]> {
    const result = items.map(() => false);
    const position = new Map(items.map((item, index) => [item, index]));
    await Promise.all(
      this.byStream(items).map(async ([source, part]) => {
        const statuses = await run(source, part);
        part.forEach((item, index) => {
          result[position.get(item)!] = statuses[index] === true;
        });
      }),
    );
    return result;
  }

  private blockingClient(): Promise<ValkeyClient> {
    if (this.blocking) return Promise.resolve(this.blocking);
    this.opening ??= this.connection
      .createBlockingConnection(this.blockingName.slice('vq:'.length))
      .then((client) => {
        defineLuaScripts(client);
        this.blocking = client;
        return client;
      })
      .finally(() => {
        this.opening = undefined;
      });
    return this.opening;
  }
}

function untagItem<T extends { entryId: string }>(item: T): T {
  return { ...item, entryId: untaggedId(item.entryId) };
}

function tagged(deliveries: readonly RawDelivery[], priority: number): RawDelivery[] {
  return priority === 0
    ? [...deliveries]
    : deliveries.map((delivery) => ({ ...delivery, entryId: taggedId(delivery.entryId, priority) }));
}

/**
 * `[key, entries]` pairs of a multi-stream XREADGROUP reply: RESP3 sends a map (a flat
 * `[key, entries, key, entries]` array here), RESP2 `[[key, entries], ...]`; a timeout is null.
 */
function keyedEntries(reply: unknown): [string, StreamEntry[]][] {
  if (!Array.isArray(reply)) return [];
  const pairs: [string, StreamEntry[]][] = [];
  if (typeof reply[0] === 'string') {
    for (let index = 0; index + 1 < reply.length; index += 2) {
      pairs.push([reply[index] as string, (reply[index + 1] as StreamEntry[]) ?? []]);
    }
    return pairs;
  }
  for (const pair of reply) {
    if (Array.isArray(pair) && Array.isArray(pair[1]))
      pairs.push([String(pair[0]), pair[1] as StreamEntry[]]);
  }
  return pairs;
}
