import type { ValkeyClient } from '../connection/create-client.js';
import { fieldsToRecord } from '../envelope/envelope.js';
import { readStoredLabels } from '../envelope/labels.js';
import { listElementFields } from '../envelope/list-element.js';
import type { MessageState, PeekedMessage, PeekPage } from '../interfaces/peek.interface.js';
import type { QueueKeys } from '../utils/keys.util.js';
import { decodeDeadLetter } from './dead-letter.decoder.js';

type StreamEntry = [entryId: string, fields: string[]];
type PendingRow = [entryId: string, consumer: string, idleMs: number, deliveries: number];

/** Stream entries read per round trip while looking for an envelope id. */
const FIND_PAGE = 1000;
/** Most entries of one stream or list read while looking for an envelope id. */
const FIND_BUDGET = 20_000;

/**
 * Read-only views of a queue's waiting, pending and delayed messages (`QueueAdmin.peek()` and
 * `QueueAdmin.message()`): nothing is claimed, acknowledged or moved. @internal
 */
export class MessageBrowser {
  constructor(
    private readonly client: ValkeyClient,
    private readonly keys: QueueKeys,
  ) {}

  async peek(state: MessageState, limit: number, cursor?: string): Promise<PeekPage> {
    if (state === 'delayed') return this.peekDelayed(limit, cursor);
    const groups = await this.groups();
    if (state === 'pending') return this.peekPending(groups, limit, cursor);
    const streamed = await this.client.exists(this.keys.stream);
    if (streamed === 0 && (await this.client.llen(this.keys.list)) > 0) return this.peekList(limit, cursor);
    // Waiting = not yet delivered to the slowest group: after its last delivered id.
    const from = cursor ?? slowestDelivered(groups);
    const start = from === undefined ? '-' : `(${from}`;
    const entries = (await this.client.xrange(this.keys.stream, start, '+', 'COUNT', limit)) as StreamEntry[];
    const items = entries.map(([entryId, fields]) => ({ ...decodeMessage(fields), state, entryId }));
    return page(items, limit, entries.at(-1)?.[0]);
  }

  /** The message with envelope id `id` wherever it is (delayed, the stream, the list), or undefined. */
  async find(id: string): Promise<PeekedMessage | undefined> {
    const [score, body] = await Promise.all([
      this.client.zscore(this.keys.delayed, id),
      this.client.hget(this.keys.delayedBodies, id),
    ]);
    if (score !== null)
      return { ...decodeBody(body ?? ''), id, state: 'delayed', dueAt: new Date(Number(score)) };
    const entry = await this.findInStream(id);
    if (entry) return this.withPendingState(entry);
    return this.findInList(id);
  }

  private async groups(): Promise<{ name: string; lastDelivered: string }[]> {
    try {
      const raw = (await this.client.xinfo('GROUPS', this.keys.stream)) as unknown[][];
      return raw.map((group) => {
        const record = fieldsToRecord(group.map(String));
        return { name: record.name, lastDelivered: record['last-delivered-id'] };
      });
    } catch (error) {
      if (/no such key/i.test((error as Error).message)) return [];
      throw error;
    }
  }

  private async peekPending(
    groups: { name: string }[],
    limit: number,
    cursor: string | undefined,
  ): Promise<PeekPage> {
    const group = groups[0];
    if (!group) return { items: [] };
    const start = cursor === undefined ? '-' : `(${cursor}`;
    const rows = (await this.client.xpending(
      this.keys.stream,
      group.name,
      start,
      '+',
      limit,
    )) as PendingRow[];
    if (rows.length === 0) return { items: [] };
    const pipeline = this.client.pipeline();
    for (const [entryId] of rows) pipeline.xrange(this.keys.stream, entryId, entryId);
    const replies = (await pipeline.exec()) ?? [];
    const items = rows.map(([entryId, consumer, idleMs, deliveries], index) => {
      const entries = (replies[index]?.[1] ?? []) as StreamEntry[];
      const fields = entries[0]?.[1] ?? [];
      return {
        ...decodeMessage(fields),
        state: 'pending' as const,
        entryId,
        group: group.name,
        consumer,
        idleMs: Number(idleMs),
        deliveries: Number(deliveries),
      };
    });
    return page(items, limit, rows.at(-1)?.[0]);
  }

  private async peekDelayed(limit: number, cursor: string | undefined): Promise<PeekPage> {
    const offset = cursor === undefined ? 0 : Number(cursor);
    const flat = await this.client.zrange(
      this.keys.delayed,
      String(offset),
      String(offset + limit - 1),
      'WITHSCORES',
    );
    const ids: string[] = [];
    const scores: number[] = [];
    for (let index = 0; index < flat.length; index += 2) {
      ids.push(flat[index]);
      scores.push(Number(flat[index + 1]));
    }
    const bodies = ids.length === 0 ? [] : await this.client.hmget(this.keys.delayedBodies, ...ids);
    const items = ids.map((id, index) => ({
      ...decodeBody(bodies[index] ?? ''),
      id,
      state: 'delayed' as const,
      dueAt: new Date(scores[index]),
    }));
    return page(items, limit, String(offset + ids.length));
  }

  /** List transport: the oldest element is the last one (LPUSH in, taken from the right). */
  private async peekList(limit: number, cursor: string | undefined): Promise<PeekPage> {
    const offset = cursor === undefined ? 0 : Number(cursor);
    const elements = await this.client.lrange(this.keys.list, -(offset + limit), -(offset + 1));
    const items = elements
      .reverse()
      .map((element) => ({ ...decodeMessage(listElementFields(element)), state: 'waiting' as const }));
    return page(items, limit, String(offset + items.length));
  }

  /** Envelope ids are UUIDv7: their first 48 bits are the send time, so the scan starts there. */
  private async findInStream(id: string): Promise<StreamEntry | undefined> {
    const sentAt = uuidV7Time(id);
    let start = sentAt === undefined ? '-' : `${sentAt}-0`;
    for (let read = 0; read < FIND_BUDGET; read += FIND_PAGE) {
      const entries = (await this.client.xrange(
        this.keys.stream,
        start,
        '+',
        'COUNT',
        FIND_PAGE,
      )) as StreamEntry[];
      const found = entries.find(([, fields]) => fieldsToRecord(fields).id === id);
      if (found || entries.length < FIND_PAGE) return found;
      start = `(${entries[entries.length - 1][0]}`;
    }
    return undefined;
  }

  private async withPendingState([entryId, fields]: StreamEntry): Promise<PeekedMessage> {
    const message = { ...decodeMessage(fields), entryId };
    for (const group of await this.groups()) {
      const rows = (await this.client.xpending(
        this.keys.stream,
        group.name,
        entryId,
        entryId,
        1,
      )) as PendingRow[];
      const [row] = rows;
      if (row) {
        return {
          ...message,
          state: 'pending',
          group: group.name,
          consumer: row[1],
          idleMs: Number(row[2]),
          deliveries: Number(row[3]),
        };
      }
      // Delivered to a group and no longer pending there: acknowledged, kept until trimmed.
      if (compareEntryIds(entryId, group.lastDelivered) <= 0) return { ...message, state: 'acknowledged' };
    }
    return { ...message, state: 'waiting' };
  }

  private async findInList(id: string): Promise<PeekedMessage | undefined> {
    const elements = await this.client.lrange(this.keys.list, 0, FIND_BUDGET - 1);
    for (const element of elements) {
      const fields = listElementFields(element);
      if (fieldsToRecord(fields).id === id) return { ...decodeMessage(fields), state: 'waiting' };
    }
    return undefined;
  }
}

/** A message's stored fields as the dashboard and scripts read them; never throws. */
export function decodeMessage(fields: readonly string[]): Omit<PeekedMessage, 'state'> {
  const letter = decodeDeadLetter(fields.length === 0 ? '' : '0-0', fields);
  const record = fieldsToRecord(fields);
  const attempt = Number(record.attempt);
  const priority = Number(record.priority);
  const message: Omit<PeekedMessage, 'state'> = {
    attempt: Number.isSafeInteger(attempt) && attempt > 0 ? attempt : 1,
    headers: letter.headers,
    labels: readStoredLabels(record.labels),
  };
  if (letter.id !== undefined) message.id = letter.id;
  if (Number.isSafeInteger(priority)) message.priority = priority;
  if (letter.createdAt) message.createdAt = letter.createdAt;
  if (letter.expiresAt) message.expiresAt = letter.expiresAt;
  if (letter.payloadText !== undefined) message.payloadText = letter.payloadText;
  if (letter.payload !== undefined) message.payload = letter.payload;
  if (!letter.redrivable) message.raw = record;
  return message;
}

/**
 * A delayed body: stream fields as `<byte length>:<value>` concatenated (delayed-body.ts), or a
 * list element (JSON). Lengths count UTF-8 bytes, so the body is split as bytes.
 */
export function decodeBody(body: string): Omit<PeekedMessage, 'state'> {
  const bytes = Buffer.from(body, 'utf8');
  const fields: string[] = [];
  let position = 0;
  while (position < bytes.length) {
    const colon = bytes.indexOf(0x3a, position);
    const length = colon > position ? Number(bytes.subarray(position, colon).toString('latin1')) : NaN;
    if (!Number.isSafeInteger(length) || colon + 1 + length > bytes.length) {
      return decodeMessage(listElementFields(body));
    }
    fields.push(bytes.subarray(colon + 1, colon + 1 + length).toString('utf8'));
    position = colon + 1 + length;
  }
  return decodeMessage(fields.length % 2 === 0 ? fields : listElementFields(body));
}

function page(items: PeekedMessage[], limit: number, last: string | undefined): PeekPage {
  return items.length === limit && last !== undefined ? { items, nextCursor: last } : { items };
}

function slowestDelivered(groups: readonly { lastDelivered: string }[]): string | undefined {
  if (groups.length === 0) return undefined;
  return groups.map((group) => group.lastDelivered).reduce((a, b) => (compareEntryIds(a, b) <= 0 ? a : b));
}

/** Orders two stream entry ids (`<ms>-<seq>`). */
export function compareEntryIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(BigInt);
  const [bMs, bSeq] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : (aSeq ?? 0n) < (bSeq ?? 0n) ? -1 : 1;
}

/** The epoch ms a UUIDv7 was made at, or undefined for any other id. */
export function uuidV7Time(id: string): number | undefined {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/i.exec(id);
  return match ? parseInt(match[1] + match[2], 16) : undefined;
}
