import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import type { ValkeyClient } from '../connection/create-client.js';
import { fieldsToRecord } from '../envelope/envelope.js';
import { hasLabels, readStoredLabels } from '../envelope/labels.js';
import type {
  DeadLetter,
  DeadLetterPageOptions,
  RedriveOptions,
} from '../interfaces/dead-letter.interface.js';
import type { QueueStats } from '../interfaces/queue-stats.interface.js';
import { queueKeys, type QueueKeys } from '../utils/keys.util.js';
import { VALKEY_QUEUE_CLIENT, VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import { parseDeadLetterPage, parseRedriveRequest } from './admin-input.js';
import { invalidUtf8Entries, suspectEntryIds } from '../utils/utf8.util.js';
import { decodeDeadLetter } from './dead-letter.decoder.js';
import {
  isClusterClient,
  moveDeadLetters,
  redriveDestination,
  type RedriveCandidate,
} from './redrive-mover.js';
import { announce } from '../signals/announce.js';
import { withPriorityStats } from './priority-stats.js';
import { withListStats } from './list-stats.js';
import { readQueueStats } from './queue-stats.reader.js';
import { MessageBrowser } from './message-browser.js';
import type { PeekedMessage, PeekOptions, PeekPage } from '../interfaces/peek.interface.js';
import { InvalidAdminArgumentError } from '../errors/invalid-admin-argument.error.js';
import { orderingKeyCounts, parkedOrderingKeys, releaseOrderingKey } from '../ordering/ordering-admin.js';

/** Dead letters moved per redrive.lua call, so no single script runs long. */
const REDRIVE_BATCH = 100;
/** Dead letters read per round trip while looking for the entries to redrive. */
const SCAN_PAGE = 100;
/** Larger pages when looking for given ids: only ids and a few fields matter, most entries are skipped. */
const ID_SCAN_PAGE = 1000;

type StreamEntry = [entryId: string, fields: string[]];
type Transport = 'stream' | 'list';
/** Where redriven entries go and which ones qualify (`RedriveOptions.transport` and `labels`). */
type RedriveTarget = { transport?: Transport; labels?: Record<string, string> };

/**
 * Operations on queues for people and tooling: read and redrive dead letters, pause and resume
 * consumption (for every instance), and read a queue's numbers. Provided and exported by
 * `ValkeyQueueModule`; every method validates its input (typed errors, nothing sent) and works on
 * any queue, whether or not this instance sends to or consumes it.
 */
@Injectable()
export class QueueAdmin {
  constructor(
    @Inject(VALKEY_QUEUE_CLIENT) private readonly client: ValkeyClient,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
  ) {}

  /**
   * One page of the queue's dead letters, oldest first (one `XRANGE ... COUNT`; the stream is never
   * read whole). Pass the last `entryId` as `cursor` for the next page; a page shorter than `count`
   * is the last. Malformed entries are returned as far as they can be read, never thrown.
   * @example
   * for (let page = await admin.deadLetters('orders'); page.length > 0;
   *      page = await admin.deadLetters('orders', { cursor: page.at(-1)!.entryId })) { ... }
   */
  async deadLetters<T = unknown>(queue: string, options?: DeadLetterPageOptions): Promise<DeadLetter<T>[]> {
    const keys = this.keys(queue);
    const { count, cursor, labels } = parseDeadLetterPage(options);
    if (labels) return this.deadLettersLabelled<T>(keys, cursor, count, labels);
    const [entries, notText] = await this.readDead(keys, cursor, count);
    return entries.map(([entryId, fields]) => decodeDeadLetter<T>(entryId, fields, !notText.has(entryId)));
  }

  /**
   * Moves dead letters back onto their queue with `attempt` reset to 1 and their idempotency
   * marker cleared, so workers handle them afresh; the payload is copied byte for byte. Each entry
   * goes back to the transport it came from: the queue's stream, or the list it was read from (its
   * `sourceId`); `transport` sends every entry to the queue's stream or key-layout list instead.
   * Without `ids`, the oldest `count` entries are moved; with `ids` (envelope ids), the oldest
   * entry of each. Entries without a full envelope (some broken ones), and entries whose stored
   * bytes are not UTF-8 text (they would only be broken again), are never moved and stay in the
   * dead-letter stream. Resolves the number of entries moved. Safe to run from several
   * instances at once: each entry is moved by one call only (the scripts re-check it).
   */
  async redrive(queue: string, options?: RedriveOptions): Promise<number> {
    const keys = this.keys(queue);
    const { count, ids, transport, labels } = parseRedriveRequest(options);
    const target: RedriveTarget = { transport, labels };
    if (!ids) return this.redriveOldest(keys, count, target);
    return ids.length === 0 ? 0 : this.redriveIds(keys, new Set(ids), count, target);
  }

  /**
   * Pauses consumption of the queue for every instance: the flag is set and announced on its
   * channel, so workers cut their blocked read short and stop fetching within a round trip (within
   * one read cycle where signals are unavailable); handlers already running finish (and ack)
   * normally. Sending still works. Idempotent.
   */
  async pause(queue: string): Promise<void> {
    const { paused } = this.keys(queue);
    await this.client.set(paused, String(Date.now()));
    // Workers rarely poll the flag while signals arrive: announce it (channel = the flag's name).
    await announce(this.client, paused, '1');
  }

  /** Resumes a paused queue for every instance. Idempotent: resuming a running queue does nothing. */
  async resume(queue: string): Promise<void> {
    const { paused } = this.keys(queue);
    await this.client.del(paused);
    await announce(this.client, paused, '0');
  }

  /**
   * The queue's numbers, read in one pipelined round trip: waiting, pending and lag per consumer
   * group, consumers, dead letters, delayed messages, the paused flag and the workers' counters.
   * Plus one `HGETALL` of the list-consumer registry, and when list workers are registered one
   * pipeline more for their lists and in-flight lists (`lists`). A queue that does not exist yet
   * reads as zeros.
   */
  async stats(queue: string): Promise<QueueStats> {
    const keys = this.keys(queue);
    const [stats] = await readQueueStats(this.client, [{ queue, keys }]);
    if (stats instanceof Error) throw stats;
    const [withPriorities, orderingKeys] = await Promise.all([
      withListStats(this.client, keys, stats).then((listed) => withPriorityStats(this.client, keys, listed)),
      orderingKeyCounts(this.client, keys),
    ]);
    return { ...withPriorities, orderingKeys };
  }

  /**
   * One page of the queue's waiting, pending (first consumer group) or delayed messages, decoded,
   * without claiming or moving anything. Waiting messages of a stream are those after the slowest
   * group's last delivered entry; of a list-only queue, the list from its oldest element.
   */
  async peek(queue: string, options: PeekOptions = {}): Promise<PeekPage> {
    const keys = this.keys(queue);
    const { state = 'waiting', limit = 50, cursor } = options;
    if (!['waiting', 'pending', 'delayed'].includes(state)) {
      throw new InvalidAdminArgumentError('state', state, "'waiting', 'pending' or 'delayed'");
    }
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
      throw new InvalidAdminArgumentError('limit', limit, 'a whole number from 1 to 1000');
    }
    const streamCursor = state !== 'delayed' && /^\d+-\d+$/.test(cursor ?? '0-0');
    const offsetCursor = /^\d{1,9}$/.test(cursor ?? '0');
    if (cursor !== undefined && !streamCursor && !offsetCursor) {
      throw new InvalidAdminArgumentError('cursor', cursor, 'the nextCursor of the previous page');
    }
    return new MessageBrowser(this.client, keys).peek(state, limit, cursor);
  }

  /** The message with envelope id `id`, delayed, in the stream or in the list; undefined when absent. */
  async message(queue: string, id: string): Promise<PeekedMessage | undefined> {
    return new MessageBrowser(this.client, this.keys(queue)).find(id);
  }

  /**
   * Makes a delayed message due now: its due time becomes 0 and the promoters are signalled, so it
   * is moved onto the queue by the usual atomic promotion. Resolves false when no such delayed message.
   */
  async promote(queue: string, id: string): Promise<boolean> {
    const { delayed } = this.keys(queue);
    if (
      (await this.client.zadd(delayed, 'XX', 'CH', 0, id)) === 0 &&
      (await this.client.zscore(delayed, id)) === null
    ) {
      return false;
    }
    await announce(this.client, delayed, '0'); // the channel promoters listen on: "due at 0"
    return true;
  }

  /** Deletes a delayed message before it is due (set entry and body together). Resolves whether it existed. */
  async cancelDelayed(queue: string, id: string): Promise<boolean> {
    const { delayed, delayedBodies } = this.keys(queue);
    const replies = await this.client.multi().zrem(delayed, id).hdel(delayedBodies, id).exec();
    return Number(replies?.[0]?.[1] ?? 0) > 0;
  }

  /** Deletes dead letters by their entry ids (`DeadLetter.entryId`). Resolves how many existed. */
  async deleteDeadLetters(queue: string, entryIds: readonly string[]): Promise<number> {
    const { dead } = this.keys(queue);
    if (entryIds.some((entryId) => typeof entryId !== 'string' || !/^\d+-\d+$/.test(entryId))) {
      throw new InvalidAdminArgumentError('entryIds', entryIds, 'stream entry ids (<ms>-<seq>)');
    }
    return entryIds.length === 0 ? 0 : this.client.xdel(dead, ...entryIds);
  }

  /**
   * Releases an ordering key parked by a dead message (workers with `orderedOnDead: 'park'`): its
   * later messages run again, oldest first. Resolves false when the key was not parked.
   * See docs/ordering.md.
   */
  async releaseOrderingKey(queue: string, orderingKey: string): Promise<boolean> {
    return releaseOrderingKey(this.client, this.keys(queue), orderingKey);
  }

  /** Ordering keys parked by a dead message, oldest first (at most `count`, default 100). */
  async parkedOrderingKeys(
    queue: string,
    options?: { count?: number },
  ): Promise<{ orderingKey: string; parkedAt: Date }[]> {
    return parkedOrderingKeys(this.client, this.keys(queue), options?.count);
  }

  private keys(queue: string): QueueKeys {
    return queueKeys(this.options.prefix, queue); // throws InvalidQueueNameError before any command
  }

  /**
   * A page of dead letters, with the entry ids of those whose stored bytes are not UTF-8 text (read
   * here with U+FFFD in their place; only those holding U+FFFD are re-read as bytes to tell).
   */
  private async readDead(
    keys: QueueKeys,
    cursor: string | undefined,
    count: number,
  ): Promise<[StreamEntry[], ReadonlyMap<string, string>]> {
    const start = cursor === undefined ? '-' : `(${cursor}`;
    const entries = (await this.client.xrange(keys.dead, start, '+', 'COUNT', count)) as StreamEntry[];
    const suspects = suspectEntryIds(entries);
    const notText =
      suspects.length === 0
        ? new Map<string, string>()
        : await invalidUtf8Entries(this.client, keys.dead, suspects);
    return [entries, notText];
  }

  /** Dead letters carrying every label of `labels`, read page by page until `count` match or the stream ends. */
  private async deadLettersLabelled<T>(
    keys: QueueKeys,
    cursor: string | undefined,
    count: number,
    labels: Record<string, string>,
  ): Promise<DeadLetter<T>[]> {
    const found: DeadLetter<T>[] = [];
    for (let start = cursor; ;) {
      const [entries, notText] = await this.readDead(keys, start, SCAN_PAGE);
      for (const [entryId, fields] of entries) {
        const letter = decodeDeadLetter<T>(entryId, fields, !notText.has(entryId));
        if (hasLabels(letter.labels, labels)) found.push(letter);
        if (found.length === count) return found;
      }
      if (entries.length < SCAN_PAGE) return found;
      start = entries[entries.length - 1][0];
    }
  }

  private async redriveOldest(keys: QueueKeys, count: number, target: RedriveTarget): Promise<number> {
    let moved = 0;
    let cursor: string | undefined;
    while (moved < count) {
      const [entries, notText] = await this.readDead(keys, cursor, SCAN_PAGE);
      const batch: RedriveCandidate[] = [];
      for (const [entryId, fields] of entries) {
        cursor = entryId;
        const candidate = notText.has(entryId) ? undefined : this.candidate(keys, entryId, fields, target);
        if (candidate) batch.push(candidate);
        if (batch.length === count - moved) break;
      }
      moved += await this.move(keys, batch);
      // Done at the end of the stream, once every entry of the last page has been considered.
      if (entries.length < SCAN_PAGE && (entries.length === 0 || cursor === entries.at(-1)?.[0])) break;
    }
    return moved;
  }

  private async redriveIds(
    keys: QueueKeys,
    wanted: Set<string>,
    count: number,
    target: RedriveTarget,
  ): Promise<number> {
    let moved = 0;
    let cursor: string | undefined;
    let batch: RedriveCandidate[] = [];
    scan: while (wanted.size > 0) {
      const [entries, notText] = await this.readDead(keys, cursor, ID_SCAN_PAGE);
      for (const [entryId, fields] of entries) {
        cursor = entryId;
        const id = fieldsToRecord(fields).id;
        const candidate =
          wanted.has(id) && !notText.has(entryId) ? this.candidate(keys, entryId, fields, target) : undefined;
        if (!candidate) continue;
        wanted.delete(id); // the oldest copy only: moving two would duplicate the message
        batch.push(candidate);
        if (moved + batch.length >= count) break scan;
        if (batch.length === REDRIVE_BATCH) {
          moved += await this.move(keys, batch);
          batch = [];
        }
      }
      if (entries.length < ID_SCAN_PAGE) break;
    }
    return moved + (await this.move(keys, batch));
  }

  /**
   * An entry to redrive, with where it goes; undefined when it cannot go back (not an envelope) or
   * lacks a label of the filter.
   */
  private candidate(
    keys: QueueKeys,
    entryId: string,
    fields: readonly string[],
    { transport, labels }: RedriveTarget,
  ): RedriveCandidate | undefined {
    const record = fieldsToRecord(fields);
    if (labels && !hasLabels(readStoredLabels(record.labels), labels)) return undefined;
    const destination = redriveDestination(fields, keys, transport, isClusterClient(this.client));
    return destination && { entryId, id: record.id, fields, destination };
  }

  /** One script call per destination; resolves how many of `batch` moved (others were gone). */
  private async move(keys: QueueKeys, batch: readonly RedriveCandidate[]): Promise<number> {
    return batch.length === 0 ? 0 : moveDeadLetters(this.client, keys, batch);
  }
}
