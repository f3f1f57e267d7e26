import { InvalidAdminArgumentError } from '../errors/invalid-admin-argument.error.js';
import type { HistoryPool } from '../interfaces/history-options.interface.js';
import {
  HISTORY_STATES,
  type HistoryPage,
  type HistoryRecord,
  type HistorySearch,
  type HistoryState,
} from './history-record.interface.js';

const MAX_LIMIT = 1_000;
const DEFAULT_LIMIT = 50;
const SEARCH_FIELDS = new Set(['queue', 'state', 'labels', 'id', 'text', 'from', 'to', 'limit', 'cursor']);

interface MessageRow {
  queue: string;
  id: string;
  state: HistoryState;
  priority: number;
  labels: Record<string, string>;
  attempts: number;
  created_ms: string;
  updated_ms: string;
  finished_ms: string | null;
  error: string | null;
  payload: Buffer | null;
}

interface EventRow {
  type: string;
  at_ms: string;
  attempt: number | null;
  error: string | null;
  detail: Record<string, unknown> | null;
}

/** Keyset position: the last row of a page, in the (created_ms, queue, id) descending order. */
type Cursor = [createdMs: number, queue: string, id: string];

/** `search()`: filters as SQL, keyset pagination newest first, stable for rows already written. @internal */
export async function searchHistory(
  pool: HistoryPool,
  schema: string,
  query: HistorySearch,
): Promise<HistoryPage> {
  const { limit, states, cursor } = checkSearch(query);
  const where: string[] = [];
  const values: unknown[] = [];
  const bind = (value: unknown): string => `$${values.push(value)}`;
  if (query.queue !== undefined) where.push(`queue = ${bind(query.queue)}`);
  if (states) where.push(`state = ANY(${bind(states)}::text[])`);
  if (query.labels) where.push(`labels @> ${bind(JSON.stringify(query.labels))}::jsonb`);
  if (query.id !== undefined) where.push(`id = ${bind(query.id)}`);
  if (query.text !== undefined) where.push(`strpos(error_lower, ${bind(query.text.toLowerCase())}) > 0`);
  if (query.from) where.push(`created_ms >= ${bind(query.from.getTime())}`);
  if (query.to) where.push(`created_ms < ${bind(query.to.getTime())}`);
  if (cursor)
    where.push(`(created_ms, queue, id) < (${bind(cursor[0])}, ${bind(cursor[1])}, ${bind(cursor[2])})`);
  const { rows } = await pool.query(
    `SELECT * FROM ${schema}.messages ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_ms DESC, queue DESC, id DESC LIMIT ${limit + 1}`,
    values,
  );
  const page = (rows as MessageRow[]).slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toRecord(row, [])),
    ...(rows.length > limit && last
      ? { nextCursor: encodeCursor([Number(last.created_ms), last.queue, last.id]) }
      : {}),
  };
}

/** `get()`: the message (the most recently created, if two queues share the id) and its timeline. @internal */
export async function getHistory(
  pool: HistoryPool,
  schema: string,
  messageId: string,
): Promise<HistoryRecord | undefined> {
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > 200)
    throw new InvalidAdminArgumentError('messageId', messageId, 'a message id (1 to 200 characters)');
  const { rows } = await pool.query(
    `SELECT * FROM ${schema}.messages WHERE id = $1 ORDER BY created_ms DESC LIMIT 1`,
    [messageId],
  );
  const row = rows[0] as MessageRow | undefined;
  if (!row) return undefined;
  // Event ids are `ms-seq` or `ms-seq.k` with `ms` = at_ms: within one millisecond a shorter `ms-seq`
  // is the smaller sequence number (as text, "-10" would sort before "-9").
  const events = await pool.query(
    `SELECT type, at_ms, attempt, error, detail FROM ${schema}.events
      WHERE queue = $1 AND message_id = $2
      ORDER BY at_ms, length(split_part(event_id, '.', 1)), event_id`,
    [row.queue, row.id],
  );
  return toRecord(row, placeStarted(events.rows as EventRow[]));
}

/** Events that make an attempt available to a consumer; each carries the attempt number. */
const AVAILABLE = new Set(['sent', 'promoted', 'redriven', 'scheduled']);

/**
 * `started` is written outside the scripts (record-started.ts), so it may reach the stream after the
 * outcome of its attempt. The timeline shows it where it happened: after the event that made its
 * attempt available (and after earlier `started` of the same attempt, a redelivery). @internal
 */
export function placeStarted<T extends Pick<EventRow, 'type' | 'attempt'>>(events: T[]): T[] {
  const placed: T[] = [];
  for (const event of events) {
    if (event.type !== 'started') {
      placed.push(event);
      continue;
    }
    let at = -1;
    for (let index = placed.length - 1; index >= 0; index -= 1) {
      if (AVAILABLE.has(placed[index].type) && placed[index].attempt === event.attempt) {
        at = index;
        break;
      }
    }
    if (at < 0) {
      placed.push(event);
      continue;
    }
    while (at + 1 < placed.length && placed[at + 1].type === 'started') at += 1;
    placed.splice(at + 1, 0, event);
  }
  return placed;
}

function toRecord(row: MessageRow, events: EventRow[]): HistoryRecord {
  const createdMs = Number(row.created_ms);
  return {
    id: row.id,
    queue: row.queue,
    state: row.state,
    priority: row.priority,
    labels: row.labels,
    attempts: row.attempts,
    createdAt: new Date(createdMs),
    updatedAt: new Date(Number(row.updated_ms)),
    ...(row.finished_ms === null ? {} : { durationMs: Number(row.finished_ms) - createdMs }),
    ...(row.error === null ? {} : { error: row.error }),
    ...(row.payload === null ? {} : { payload: row.payload.toString('utf8') }),
    events: events.map((event) => ({
      type: event.type,
      at: new Date(Number(event.at_ms)),
      ...(event.attempt === null ? {} : { attempt: event.attempt }),
      ...(event.error === null ? {} : { error: event.error }),
      ...(typeof event.detail?.consumer === 'string' ? { consumer: event.detail.consumer } : {}),
      ...(event.detail === null ? {} : { detail: event.detail }),
    })),
  };
}

function checkSearch(query: HistorySearch): { limit: number; states?: HistoryState[]; cursor?: Cursor } {
  const bad = (argument: string, value: unknown, expected: string): never => {
    throw new InvalidAdminArgumentError(argument, value, expected);
  };
  if (typeof query !== 'object' || query === null) bad('query', query, 'an object');
  for (const key of Object.keys(query))
    if (!SEARCH_FIELDS.has(key))
      bad(key, (query as Record<string, unknown>)[key], `one of ${[...SEARCH_FIELDS].join(', ')}`);
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    bad('limit', limit, `a whole number from 1 to ${MAX_LIMIT}`);
  for (const field of ['queue', 'id', 'text'] as const) {
    const value = query[field];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0 || value.length > 1_000))
      bad(field, value, 'a non-empty string of at most 1000 characters');
  }
  for (const field of ['from', 'to'] as const) {
    const value = query[field];
    if (value !== undefined && !(value instanceof Date && !Number.isNaN(value.getTime())))
      bad(field, value, 'a valid Date');
  }
  const states = query.state === undefined ? undefined : [query.state].flat();
  if (states && (states.length === 0 || states.some((state) => !HISTORY_STATES.includes(state))))
    bad('state', query.state, `one or more of ${HISTORY_STATES.join(', ')}`);
  if (query.labels !== undefined) {
    const labels: unknown = query.labels;
    const fine =
      typeof labels === 'object' && labels !== null && !Array.isArray(labels) &&
      Object.values(labels).every((value) => typeof value === 'string'); // prettier-ignore
    if (!fine) bad('labels', labels, 'an object of string values');
  }
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  return { limit, states, cursor };
}

const encodeCursor = (cursor: Cursor): string =>
  Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');

function decodeCursor(text: unknown): Cursor {
  try {
    if (typeof text !== 'string') throw new Error('not a string');
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) && value.length === 3 && Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string' && typeof value[2] === 'string'
    ) return value as Cursor; // prettier-ignore
  } catch {
    // reported below
  }
  throw new InvalidAdminArgumentError('cursor', text, 'the nextCursor of a previous search');
}
