import { BadRequestException } from '@nestjs/common';
import { labelsProblem } from '../envelope/labels.js';
import type { MessageState } from '../interfaces/peek.interface.js';
import { checkOrderingKey } from '../ordering/ordering-key.js';
import { assertQueueName } from '../utils/keys.util.js';

/** The dashboard's 400: `{ statusCode, message, field }`, naming the parameter at fault. */
export function badRequest(field: string, message: string): never {
  throw new BadRequestException({ statusCode: 400, message, field });
}

/** A dead-letter filter of the API (query string or `body.filter`). @internal */
export interface DeadLetterFilter {
  reason?: 'dead' | 'broken' | 'expired';
  text?: string;
  from?: Date;
  to?: Date;
  labels?: Record<string, string>;
}

/** What a dead-letter action applies to: envelope ids, or every entry matching a filter. @internal */
export type DeadLetterSelection = { ids: string[] } | { filter: DeadLetterFilter };

const STATES: readonly MessageState[] = ['waiting', 'pending', 'delayed'];
const REASONS = ['dead', 'broken', 'expired'] as const;
const MAX_TEXT = 200;
const MAX_ID = 256;
/** Ids one action accepts, as `QueueAdmin.redrive()` does. */
export const MAX_ACTION_IDS = 1000;

export function parseQueue(value: unknown): string {
  try {
    assertQueueName(value);
  } catch (error) {
    badRequest('queue', (error as Error).message);
  }
  return value;
}

/** Message ids, schedule names: 1 to 256 printable characters. */
export function parseName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) {
    badRequest(field, `${field} must be a string of 1 to ${MAX_ID} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) badRequest(field, `${field} must not contain control characters`);
  return value;
}

export function parseLimit(value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const limit = typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= max)) badRequest('limit', `limit must be a whole number from 1 to ${max}`);
  return limit;
}

/**
 * `entry`: a stream entry id; `position`: an entry id or an offset (delayed and list pages);
 * `queue`: the last queue name of the previous page.
 */
export function parseCursor(value: unknown, kind: 'entry' | 'position' | 'queue'): string | undefined {
  if (value === undefined) return undefined;
  const ok =
    typeof value === 'string' &&
    (kind === 'entry'
      ? /^\d{1,16}-\d{1,16}$/.test(value)
      : kind === 'position'
        ? /^\d{1,16}-\d{1,16}$|^\d{1,9}$/.test(value)
        : true);
  if (!ok) badRequest('cursor', 'cursor must be the nextCursor of the previous page');
  if (kind === 'queue') return parseQueue(value);
  return value;
}

export function parseState(value: unknown): MessageState {
  if (value === undefined) return 'waiting';
  if (!STATES.includes(value as MessageState))
    badRequest('state', `state must be one of ${STATES.join(', ')}`);
  return value as MessageState;
}

/** A filter from query parameters `reason`, `text`, `from`, `to`, `label.<key>`. */
export function parseFilter(source: Record<string, unknown>, prefix = ''): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    const field = `${prefix}${key}`;
    if (key.startsWith('label.')) {
      if (typeof value !== 'string') badRequest(field, `${field} must be given once, as a string`);
      labels[key.slice('label.'.length)] = value;
      continue;
    }
    switch (key) {
      case 'reason':
        if (!REASONS.includes(value as never))
          badRequest(field, `reason must be one of ${REASONS.join(', ')}`);
        filter.reason = value as DeadLetterFilter['reason'];
        break;
      case 'text':
        if (typeof value !== 'string' || value.length > MAX_TEXT) {
          badRequest(field, `text must be a string of at most ${MAX_TEXT} characters`);
        }
        if (value !== '') filter.text = value;
        break;
      case 'from':
      case 'to':
        filter[key] = parseTime(value, field);
        break;
      case 'labels':
        if (prefix === '') badRequest(field, 'use label.<key>=<value> for a label filter');
        if (typeof value !== 'object' || value === null)
          badRequest(field, 'labels must be an object of strings');
        Object.assign(labels, value);
        break;
      case 'limit':
      case 'cursor':
        if (prefix === '') break; // page parameters, read by the caller
        badRequest(field, `unknown filter field ${key}`);
        break;
      default:
        badRequest(field, `unknown ${prefix === '' ? 'parameter' : 'filter field'} ${key}`);
    }
  }
  if (Object.keys(labels).length > 0) {
    const problem = labelsProblem(labels);
    if (problem) {
      // A bad key is reported as the value of `labels`; a bad value as `labels.<key>`.
      const key =
        problem.field === 'labels' && typeof problem.value === 'string'
          ? problem.value
          : problem.field.slice(7);
      badRequest(key ? `${prefix}label.${key}` : `${prefix}labels`, `labels: ${problem.expected}`);
    }
    filter.labels = labels;
  }
  if (filter.from && filter.to && filter.from > filter.to)
    badRequest(`${prefix}from`, 'from must not be after to');
  return filter;
}

/** A time as epoch ms or an ISO 8601 date. */
function parseTime(value: unknown, field: string): Date {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text === 'string') {
    const date = /^\d{1,15}$/.test(text)
      ? new Date(Number(text))
      : /^\d{4}-\d\d-\d\d/.test(text)
        ? new Date(text)
        : undefined;
    if (date && !Number.isNaN(date.getTime())) return date;
  }
  return badRequest(field, `${field} must be epoch milliseconds or an ISO 8601 date`);
}

/** The body of a dead-letter action: `{ ids: string[] }` or `{ filter: {...} }`. */
export function parseSelection(body: unknown): DeadLetterSelection {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    badRequest('body', 'the body must be a JSON object: { ids: [...] } or { filter: {...} }');
  }
  const { ids, filter, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) badRequest(extra, `unknown field ${extra}`);
  if ((ids === undefined) === (filter === undefined)) badRequest('body', 'give either ids or filter');
  if (ids !== undefined) {
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_ACTION_IDS) {
      badRequest('ids', `ids must be an array of 1 to ${MAX_ACTION_IDS} message ids`);
    }
    return { ids: ids.map((id, index) => parseName(id, `ids[${index}]`)) };
  }
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    badRequest('filter', 'filter must be an object');
  }
  return { filter: parseFilter(filter as Record<string, unknown>, 'filter.') };
}

/** The body of a release: `{ key }`, an ordering key by the rules of `SendOptions.orderingKey`. */
export function parseOrderingKey(body: unknown): string {
  const key = (body as { key?: unknown } | undefined)?.key;
  try {
    return checkOrderingKey(key);
  } catch (error) {
    badRequest('key', (error as Error).message);
  }
}
