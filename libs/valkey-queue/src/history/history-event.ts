import { MANY_EVENT_FIELDS } from '../lua/history-many-event.js';
import type { HistoryState } from './history-record.interface.js';

/** One event read from a queue's history stream. @internal */
export interface HistoryEvent {
  /** The history stream entry id: unique per queue, and the event's time (server clock). */
  eventId: string;
  atMs: number;
  messageId: string;
  type: string;
  attempt?: number;
  error?: string;
  labels?: Record<string, string>;
  priority?: number;
  detail?: Record<string, unknown>;
  /** The encoded payload (`sent` and `scheduled`, with `history.payloads` other than 'none'). */
  payload?: string;
}

/** What each event type makes of the message's state; undefined: the state is unchanged. */
export const STATE_AFTER: Record<string, HistoryState | undefined> = {
  sent: 'waiting',
  scheduled: 'waiting',
  promoted: 'waiting',
  redriven: 'waiting',
  delayed: 'delayed',
  started: 'active',
  retried: 'retrying',
  succeeded: 'succeeded',
  dead: 'dead',
  broken: 'broken',
  expired: 'expired',
  deduplicated: undefined,
};

/** Events after which a message is finished (its duration is known). */
export const FINAL_TYPES = new Set(['succeeded', 'dead', 'broken', 'expired']);

/** Splits a delayed-body string (`<length>:<value>` per field) into a record; undefined if malformed. */
function decodeBody(body: string): Record<string, string> | undefined {
  const bytes = Buffer.from(body, 'utf8');
  const values: string[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const colon = bytes.indexOf(0x3a, pos);
    const length = colon < 0 ? NaN : Number(bytes.subarray(pos, colon).toString('latin1'));
    if (!Number.isInteger(length) || colon + 1 + length > bytes.length) return undefined;
    values.push(bytes.subarray(colon + 1, colon + 1 + length).toString('utf8'));
    pos = colon + 1 + length;
  }
  if (values.length % 2 !== 0) return undefined;
  const record: Record<string, string> = {};
  for (let i = 0; i < values.length; i += 2) record[values[i]] = values[i + 1];
  return record;
}

/**
 * The events of one history stream entry. An entry packs one or more events, each starting at its
 * own `e` field (lua/fragments/history-event.lua); an event with a `many` field stands for one event
 * of its type per message listed there (see expandMany). The first event's id is the entry id, the
 * k-th one's `<entry id>.<k>` (k zero-padded, so ids sort in stream order), the same on every read,
 * so a redelivered entry dedups. Fields before the first `e`, and events without a message, are skipped.
 */
export function parseHistoryEntries(entryId: string, fields: readonly string[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let start = -1;
  let index = 0;
  const add = (eventFields: readonly string[]): void => {
    const eventId = index === 0 ? entryId : `${entryId}.${String(index).padStart(5, '0')}`;
    const event = parseHistoryEntry(eventId, eventFields);
    index += 1;
    if (event) events.push(event);
  };
  const take = (end: number): void => {
    if (start < 0) return;
    const eventFields = fields.slice(start, end);
    const many = fieldValue(eventFields, 'many');
    if (many === undefined) add(eventFields);
    else for (const one of expandMany(eventFields, many)) add(one);
  };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'e') continue;
    take(i);
    start = i;
  }
  take(fields.length);
  return events;
}

/**
 * The events a `many` event stands for (format 3): `many` is a JSON array with one array per
 * message, `[id, attempt, labels?, priority?]` (strings as stored; empty or absent: not recorded);
 * every other field of the event (`e`, `consumer`, ...) is shared by all of them. A list that is not
 * such JSON stands for no event.
 */
export function expandMany(fields: readonly string[], many: string): string[][] {
  let list: unknown;
  try {
    list = JSON.parse(many);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const shared: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (fields[i] !== 'many') shared.push(fields[i], fields[i + 1]);
  const expanded: string[][] = [];
  for (const item of list) {
    if (!Array.isArray(item)) continue;
    const one = shared.slice();
    for (let j = 0; j < MANY_EVENT_FIELDS.length; j += 1) {
      const value: unknown = item[j];
      if (typeof value === 'string' && value !== '') one.push(MANY_EVENT_FIELDS[j], value);
    }
    expanded.push(one);
  }
  return expanded;
}

function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** How many events one history stream entry packs (its `e` fields, and the messages of `many` lists). */
export function countHistoryEvents(fields: readonly string[]): number {
  let count = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') count += 1;
    else if (fields[i] === 'many') count += manyLength(fields[i + 1]) - 1;
  }
  return count;
}

function manyLength(many: string): number {
  try {
    const list: unknown = JSON.parse(many);
    return Array.isArray(list) ? list.length : 0;
  } catch {
    return 0;
  }
}

/** Reads one event (the fields of one event of an entry); undefined for fields that are not an event. */
export function parseHistoryEntry(eventId: string, fields: readonly string[]): HistoryEvent | undefined {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]] = fields[i + 1];
  const type = record.e;
  if (!type) return undefined;
  const detail: Record<string, unknown> = {};
  let messageId = record.id;
  if (type === 'deduplicated' && record.of) {
    // The duplicate never became a message: the event belongs to the timeline of the one it matched.
    detail.duplicateId = record.id;
    messageId = record.of;
  }
  if (type === 'broken') {
    detail.sourceId = record.source;
    detail.raw = record.raw === undefined ? undefined : (decodeBody(record.raw) ?? { body: record.raw });
    messageId ||= `entry:${record.source ?? eventId}`;
  }
  if (record.due !== undefined) detail.due = Number(record.due);
  if (record.schedule !== undefined) detail.schedule = record.schedule;
  if (record.consumer !== undefined) detail.consumer = record.consumer;
  if (!messageId) return undefined;
  const attempt = Number(record.attempts ?? record.attempt);
  const priority = Number(record.priority);
  return {
    eventId,
    atMs: Number(eventId.slice(0, eventId.indexOf('-'))),
    messageId,
    type,
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : undefined,
    error: record.error || undefined,
    labels: parseLabels(record.labels),
    priority: Number.isInteger(priority) ? priority : undefined,
    detail: Object.keys(detail).length > 0 ? detail : undefined,
    payload: record.payload,
  };
}

function parseLabels(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, string>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A numeric sort key of the stream entry an event came in (`ms-seq`, or `ms-seq.k` for the k-th
 * event of a packed entry), exact as a decimal string. Events of one entry share it: a batch holds
 * whole entries, in stream order, so their order within the entry is applied by the batch itself.
 */
export const eventOrder = (eventId: string): string => {
  const [ms, rest] = eventId.split('-');
  const dot = rest.indexOf('.');
  return `${ms}${(dot < 0 ? rest : rest.slice(0, dot)).padStart(12, '0')}`;
};
