import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import type { ValkeyClient } from '../connection/create-client.js';
import { fieldsToRecord } from '../envelope/envelope.js';
import type {
  DeadLetter,
  DeadLetterPageOptions,
  RedriveOptions,
} from '../interfaces/dead-letter.interface.js';
import type { QueueStats } from '../interfaces/queue-stats.interface.js';
import { queueKeys, type QueueKeys } from '../utils/keys.util.js';
import { VALKEY_QUEUE_CLIENT, VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import { parseDeadLetterPage, parseRedriveRequest } from './admin-input.js';
import { decodeDeadLetter, isRedrivable } from './dead-letter.decoder.js';
import { toQueueStats } from './queue-stats.parser.js';

/** Dead letters moved per redrive.lua call, so no single script runs long. */
const REDRIVE_BATCH = 100;
/** Dead letters read per round trip while looking for the entries to redrive. */
const SCAN_PAGE = 100;
/** Larger pages when looking for given ids: only ids and a few fields matter, most entries are skipped. */
const ID_SCAN_PAGE = 1000;

/** A dead-letter entry chosen for redrive: where it is, and which idempotency marker to clear. */
interface RedriveCandidate {
  entryId: string;
  id: string;
}

type StreamEntry = [entryId: string, fields: string[]];

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
    const { count, cursor } = parseDeadLetterPage(options);
    const entries = await this.readDead(keys, cursor, count);
    return entries.map(([entryId, fields]) => decodeDeadLetter<T>(entryId, fields));
  }

  /**
   * Moves dead letters back onto the queue's stream with `attempt` reset to 1 and their
   * idempotency marker cleared, so workers handle them afresh; the payload is copied byte for byte.
   * Without `ids`, the oldest `count` entries are moved; with `ids` (envelope ids), the oldest
   * entry of each. Entries without a full envelope (some broken ones) are never moved and stay in
   * the dead-letter stream. Resolves the number of entries moved. Safe to run from several
   * instances at once: each entry is moved by one call only (redrive.lua re-checks it).
   */
  async redrive(queue: string, options?: RedriveOptions): Promise<number> {
    const keys = this.keys(queue);
    const { count, ids } = parseRedriveRequest(options);
    if (!ids) return this.redriveOldest(keys, count);
    return ids.length === 0 ? 0 : this.redriveIds(keys, new Set(ids), count);
  }

  /**
   * Pauses consumption of the queue for every instance: workers check the flag before each read,
   * so they stop fetching within one read cycle, and handlers already running finish (and ack)
   * normally. Sending still works. Idempotent.
   */
  async pause(queue: string): Promise<void> {
    await this.client.set(this.keys(queue).paused, String(Date.now()));
  }

  /** Resumes a paused queue for every instance. Idempotent: resuming a running queue does nothing. */
  async resume(queue: string): Promise<void> {
    await this.client.del(this.keys(queue).paused);
  }

  /**
   * The queue's numbers, read in one pipelined round trip: waiting, pending and lag per consumer
   * group, consumers, dead letters, delayed messages, the paused flag and the workers' counters.
   * A queue that does not exist yet reads as zeros.
   */
  async stats(queue: string): Promise<QueueStats> {
    const keys = this.keys(queue);
    const replies = await this.client
      .pipeline()
      .xlen(keys.stream)
      .xinfo('GROUPS', keys.stream)
      .xlen(keys.dead)
      .hgetall(keys.stats)
      .zcard(keys.delayed)
      .exists(keys.paused)
      .llen(keys.list)
      .exec();
    const [streamLength, groups, deadLetters, counters, delayed, paused, listLength] = (replies ?? []).map(
      ([error, reply], index) => {
        // XINFO GROUPS on a stream that does not exist yet is an error, not an empty list.
        if (index === 1 && error && /no such key/i.test(error.message)) return [];
        if (error) throw error;
        return reply;
      },
    );
    return toQueueStats({
      queue,
      streamLength: Number(streamLength ?? 0),
      groups: Array.isArray(groups) ? groups : [],
      deadLetters: Number(deadLetters ?? 0),
      counters: isRecord(counters) ? counters : {},
      delayed: Number(delayed ?? 0),
      paused: Number(paused) === 1,
      listLength: Number(listLength ?? 0),
    });
  }

  private keys(queue: string): QueueKeys {
    return queueKeys(this.options.prefix, queue); // throws InvalidQueueNameError before any command
  }

  private readDead(keys: QueueKeys, cursor: string | undefined, count: number): Promise<StreamEntry[]> {
    const start = cursor === undefined ? '-' : `(${cursor}`;
    return this.client.xrange(keys.dead, start, '+', 'COUNT', count) as Promise<StreamEntry[]>;
  }

  private async redriveOldest(keys: QueueKeys, count: number): Promise<number> {
    let moved = 0;
    let cursor: string | undefined;
    while (moved < count) {
      const entries = await this.readDead(keys, cursor, SCAN_PAGE);
      const batch: RedriveCandidate[] = [];
      for (const [entryId, fields] of entries) {
        cursor = entryId;
        const record = fieldsToRecord(fields);
        if (isRedrivable(record)) batch.push({ entryId, id: record.id });
        if (batch.length === count - moved) break;
      }
      moved += await this.move(keys, batch);
      // Done at the end of the stream, once every entry of the last page has been considered.
      if (entries.length < SCAN_PAGE && (entries.length === 0 || cursor === entries.at(-1)?.[0])) break;
    }
    return moved;
  }

  private async redriveIds(keys: QueueKeys, wanted: Set<string>, count: number): Promise<number> {
    let moved = 0;
    let cursor: string | undefined;
    let batch: RedriveCandidate[] = [];
    scan: while (wanted.size > 0) {
      const entries = await this.readDead(keys, cursor, ID_SCAN_PAGE);
      for (const [entryId, fields] of entries) {
        cursor = entryId;
        const record = fieldsToRecord(fields);
        if (!wanted.has(record.id) || !isRedrivable(record)) continue;
        wanted.delete(record.id); // the oldest copy only: moving two would duplicate the message
        batch.push({ entryId, id: record.id });
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

  /** One redrive.lua call; resolves how many of `batch` it moved (others were gone or invalid). */
  private async move(keys: QueueKeys, batch: readonly RedriveCandidate[]): Promise<number> {
    if (batch.length === 0) return 0;
    const statuses = await this.client.vqRedrive(
      3 + batch.length,
      keys.dead,
      keys.stream,
      keys.stats,
      ...batch.map(({ id }) => keys.done(id)),
      Date.now(),
      ...batch.map(({ entryId }) => entryId),
    );
    return statuses.filter((status) => status === 1).length;
  }
}

const isRecord = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
