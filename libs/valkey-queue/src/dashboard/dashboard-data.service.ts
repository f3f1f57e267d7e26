import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { decodeDeadLetter } from '../admin/dead-letter.decoder.js';
import { uuidV7Time } from '../admin/message-browser.js';
import { QueueAdmin } from '../admin/queue-admin.service.js';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import type { ValkeyClient } from '../connection/create-client.js';
import { fieldsToRecord } from '../envelope/envelope.js';
import { hasLabels } from '../envelope/labels.js';
import type { DeadLetter } from '../interfaces/dead-letter.interface.js';
import { ownershipKeys, queueKeys } from '../utils/keys.util.js';
import { VALKEY_QUEUE_CLIENT, VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import { MAX_ACTION_IDS, type DeadLetterFilter, type DeadLetterSelection } from './dashboard-input.js';
import { LiveFeed } from './live-feed.service.js';
import { readQueueStatsWithPriorities } from '../admin/priority-stats.js';
import { toQueueRow, type QueueRow } from './queue-row.js';

type StreamEntry = [entryId: string, fields: string[]];

/** Dead letters read per round trip while filtering. */
const FILTER_PAGE = 500;
/** Most dead letters one filtered page reads; the reply's cursor continues from there. */
const FILTER_BUDGET = 5_000;
/** Most dead letters one action reads while looking for its ids or filter. */
const ACTION_BUDGET = 200_000;
/** Ownership assignments listed. */
const MAX_ASSIGNMENTS = 500;

/** The page of a listing: items and the cursor of the next page, absent on the last. @internal */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * What the dashboard's API reads: the overview, one queue, filtered dead letters, ownership. Built
 * on `QueueAdmin` and the module's connection; every listing is one bounded page. @internal
 */
@Injectable()
export class DashboardData {
  constructor(
    @Inject(VALKEY_QUEUE_CLIENT) private readonly client: ValkeyClient,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
    private readonly admin: QueueAdmin,
    private readonly feed: LiveFeed,
  ) {}

  /** One page of queues, by name, with their figures read in one pipelined round trip. */
  async queues(limit: number, cursor?: string): Promise<Page<QueueRow> & { total: number }> {
    const names = await this.feed.directory.names({ fresh: cursor === undefined });
    const start = cursor === undefined ? 0 : names.findIndex((name) => name > cursor);
    const slice = start < 0 ? [] : names.slice(start, start + limit);
    const results = await readQueueStatsWithPriorities(
      this.client,
      slice.map((queue) => ({ queue, keys: queueKeys(this.options.prefix, queue) })),
    );
    const items = results.flatMap((stats, index) =>
      stats instanceof Error ? [] : [toQueueRow(stats, this.feed.ratesOf(slice[index]))],
    );
    const more = start >= 0 && start + limit < names.length;
    return more ? { items, nextCursor: slice.at(-1), total: names.length } : { items, total: names.length };
  }

  /** 404 unless some key of the queue exists (those QueueDirectory finds queues by). */
  async assertQueue(queue: string): Promise<void> {
    const keys = queueKeys(this.options.prefix, queue);
    // The per-priority streams and lists (`:stream:p1` .. `:p10`) hold a queue's raised priorities.
    const raised = Array.from({ length: 10 }, (_, index) => [
      `${keys.stream}:p${index + 1}`,
      `${keys.list}:p${index + 1}`,
    ]);
    const found = await this.client.exists(
      keys.stream,
      keys.list,
      keys.dead,
      keys.delayed,
      keys.stats,
      keys.paused,
      ...raised.flat(),
    );
    if (found === 0) throw new NotFoundException({ statusCode: 404, message: `No queue named '${queue}'` });
  }

  /**
   * One queue: its row, full stats, every consumer of every group (idle time, pending), and the
   * ordering keys parked by a dead message (the oldest 100).
   */
  async queue(queue: string) {
    await this.assertQueue(queue);
    const [stats, parkedOrderingKeys] = await Promise.all([
      this.admin.stats(queue),
      this.admin.parkedOrderingKeys(queue, { count: 100 }),
    ]);
    const { stream } = queueKeys(this.options.prefix, queue);
    const pipeline = this.client.pipeline();
    for (const group of stats.groups) pipeline.xinfo('CONSUMERS', stream, group.name);
    const replies = stats.groups.length === 0 ? [] : ((await pipeline.exec()) ?? []);
    const groups = stats.groups.map((group, index) => {
      const rows = (replies[index]?.[1] ?? []) as unknown[][];
      const consumers = rows.map((row) => {
        const record = fieldsToRecord(row.map(String));
        return { name: record.name, pending: Number(record.pending), idleMs: Number(record.idle) };
      });
      return { ...group, consumers };
    });
    return { ...toQueueRow(stats, this.feed.ratesOf(queue)), stats, groups, parkedOrderingKeys };
  }

  /**
   * A page of dead letters matching `filter`, oldest first. The time bounds map to the entry ids
   * (the time a message was dead-lettered), so they cost nothing; reason, text and labels are
   * checked while reading, at most `FILTER_BUDGET` entries per page.
   */
  async deadLetters(
    queue: string,
    filter: DeadLetterFilter,
    limit: number,
    cursor?: string,
  ): Promise<Page<DeadLetter>> {
    await this.assertQueue(queue);
    const items: DeadLetter[] = [];
    let last: string | undefined;
    const reachedEnd = await this.scanDead(queue, filter, cursor, FILTER_BUDGET, (letter) => {
      last = letter.entryId;
      if (matches(letter, filter)) items.push(letter);
      return items.length < limit;
    });
    return reachedEnd || last === undefined ? { items } : { items, nextCursor: last };
  }

  /** Redrives the selection (at most 1000 entries per call). Resolves how many moved. */
  async redrive(queue: string, selection: DeadLetterSelection): Promise<number> {
    await this.assertQueue(queue);
    if ('ids' in selection) return this.admin.redrive(queue, { ids: selection.ids });
    const ids: string[] = [];
    await this.scanDead(queue, selection.filter, undefined, ACTION_BUDGET, (letter) => {
      if (letter.redrivable && letter.id && matches(letter, selection.filter)) ids.push(letter.id);
      return ids.length < MAX_ACTION_IDS;
    });
    return ids.length === 0 ? 0 : this.admin.redrive(queue, { ids });
  }

  /** Deletes the selection: `ids` match envelope ids or entry ids. Resolves how many were deleted. */
  async delete(queue: string, selection: DeadLetterSelection): Promise<number> {
    await this.assertQueue(queue);
    const entryIds: string[] = [];
    const wanted = 'ids' in selection ? new Set(selection.ids) : undefined;
    const filter = 'filter' in selection ? selection.filter : {};
    const earliest = wanted ? Math.min(...[...wanted].map((id) => uuidV7Time(id) ?? 0)) : undefined;
    const from = earliest ? new Date(earliest) : filter.from;
    await this.scanDead(queue, { ...filter, from }, undefined, ACTION_BUDGET, (letter) => {
      const hit = wanted
        ? wanted.has(letter.entryId) || (letter.id !== undefined && wanted.has(letter.id))
        : matches(letter, filter);
      if (hit) entryIds.push(letter.entryId);
      return entryIds.length < MAX_ACTION_IDS && (!wanted || entryIds.length < wanted.size);
    });
    return this.admin.deleteDeadLetters(queue, entryIds);
  }

  /** Every assignment of the ownership service: holder, fencing token, lease expiry. */
  async ownership() {
    const service = this.options.ownership?.service;
    if (!service) return { configured: false, service: null, streams: [] };
    const keys = ownershipKeys(this.options.prefix, service);
    const streams = await this.client.zrange(keys.assignments, '0', String(MAX_ASSIGNMENTS - 1));
    const pipeline = this.client.pipeline();
    for (const stream of streams)
      pipeline.hgetall(keys.assignment(stream)).get(keys.lease(stream)).pttl(keys.lease(stream));
    const replies = streams.length === 0 ? [] : ((await pipeline.exec()) ?? []);
    const now = Date.now();
    return {
      configured: true,
      service,
      streams: streams.map((stream, index) => {
        const record = (replies[index * 3]?.[1] ?? {}) as Record<string, string>;
        const lease = replies[index * 3 + 1]?.[1] as string | null;
        const ttl = Number(replies[index * 3 + 2]?.[1] ?? -2);
        const separator = lease ? lease.lastIndexOf(':') : -1;
        return {
          stream,
          owner: lease && separator > 0 ? lease.slice(0, separator) : null,
          token:
            lease && separator > 0
              ? Number(lease.slice(separator + 1))
              : record.token
                ? Number(record.token)
                : null,
          leaseExpiresAt: ttl > 0 ? new Date(now + ttl) : null,
          assignedTo: record.owner ?? null,
          info: record.info ?? null,
        };
      }),
    };
  }

  /**
   * Reads dead letters oldest first within the filter's time bounds, from `cursor`, calling
   * `visit` until it returns false or `budget` entries are read. Resolves true at the stream's end.
   */
  private async scanDead(
    queue: string,
    { from, to, reason }: DeadLetterFilter,
    cursor: string | undefined,
    budget: number,
    visit: (letter: DeadLetter) => boolean,
  ): Promise<boolean> {
    const { dead } = queueKeys(this.options.prefix, queue);
    let start = cursor !== undefined ? `(${cursor}` : from ? `${from.getTime()}-0` : '-';
    const end = to ? String(to.getTime()) : '+';
    for (let read = 0; read < budget;) {
      const count = Math.min(FILTER_PAGE, budget - read);
      const entries = (await this.client.xrange(dead, start, end, 'COUNT', count)) as StreamEntry[];
      read += entries.length;
      for (const [entryId, fields] of entries) {
        // The reason is checked on the raw fields first: decoding (JSON of payload, headers, labels) costs more.
        if (reason && reasonOf(fields) !== reason) continue;
        if (!visit(decodeDeadLetter(entryId, fields))) return false;
      }
      if (entries.length < count) return true;
      start = `(${entries[entries.length - 1][0]}`;
    }
    return false;
  }
}

/** The stored reason of a dead letter, as `decodeDeadLetter` reads it (none = broken). */
function reasonOf(fields: readonly string[]): string {
  for (let index = 0; index + 1 < fields.length; index += 2) {
    if (fields[index] === 'reason') return fields[index + 1] || 'broken';
  }
  return 'broken';
}

function matches(letter: DeadLetter, { reason, text, labels }: DeadLetterFilter): boolean {
  if (reason && letter.reason !== reason) return false;
  if (labels && !hasLabels(letter.labels, labels)) return false;
  if (text) {
    const needle = text.toLowerCase();
    const haystack = [letter.id, letter.error, letter.payloadText, ...Object.values(letter.raw ?? {})];
    if (!haystack.some((value) => value?.toLowerCase().includes(needle))) return false;
  }
  return true;
}
