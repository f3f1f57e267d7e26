import { labelsProblem } from '../envelope/labels.js';
import { InvalidAdminArgumentError } from '../errors/invalid-admin-argument.error.js';
import type { DeadLetterPageOptions, RedriveOptions } from '../interfaces/dead-letter.interface.js';

/** Largest `count` (and number of `ids`) one admin call accepts: pages stay small for the server. */
export const MAX_ADMIN_COUNT = 1000;
/** Entries returned or moved when `count` is not given. */
export const DEFAULT_ADMIN_COUNT = 100;

/** `deadLetters()` options, validated. @internal */
export interface DeadLetterPage {
  count: number;
  cursor?: string;
  /** Labels every returned entry must carry; absent for no filter. */
  labels?: Record<string, string>;
}

/** `redrive()` options, validated; `ids` without duplicates. @internal */
export interface RedriveRequest {
  count: number;
  ids?: string[];
  /** Send every entry to this transport of the queue instead of where it came from. */
  transport?: 'stream' | 'list';
  /** Labels every moved entry must carry; absent for no filter. */
  labels?: Record<string, string>;
}

// A stream entry id: `<ms>-<seq>`, or `<ms>` alone (XRANGE reads it as `<ms>-0`).
const ENTRY_ID = /^\d{1,20}(-\d{1,20})?$/;
const MAX_ID_PART = 2n ** 64n - 1n;

/** Validates `deadLetters()` options. Throws `InvalidAdminArgumentError`. @internal */
export function parseDeadLetterPage(options: DeadLetterPageOptions | undefined): DeadLetterPage {
  const { count, cursor, labels } = asOptions(options);
  const page: DeadLetterPage = { count: parseCount(count, DEFAULT_ADMIN_COUNT), ...labelFilter(labels) };
  if (cursor !== undefined) {
    if (!isEntryId(cursor)) {
      throw new InvalidAdminArgumentError(
        'cursor',
        cursor,
        'a dead-letter entryId such as "1764143011123-0"',
      );
    }
    page.cursor = cursor;
  }
  return page;
}

/** Validates `redrive()` options. Throws `InvalidAdminArgumentError`. @internal */
export function parseRedriveRequest(options: RedriveOptions | undefined): RedriveRequest {
  const { count, ids, transport, labels } = asOptions(options);
  if (transport !== undefined && transport !== 'stream' && transport !== 'list') {
    throw new InvalidAdminArgumentError('transport', transport, "'stream' or 'list'");
  }
  const to: Pick<RedriveRequest, 'transport' | 'labels'> = {
    ...(transport === undefined ? {} : { transport }),
    ...labelFilter(labels),
  };
  if (ids === undefined) return { count: parseCount(count, DEFAULT_ADMIN_COUNT), ...to };
  if (!Array.isArray(ids) || ids.length > MAX_ADMIN_COUNT) {
    throw new InvalidAdminArgumentError('ids', ids, `an array of at most ${MAX_ADMIN_COUNT} envelope ids`);
  }
  for (const id of ids) {
    if (typeof id !== 'string' || id.length === 0) {
      throw new InvalidAdminArgumentError('ids', id, 'non-empty envelope id strings');
    }
  }
  const unique = [...new Set<string>(ids)];
  return { count: parseCount(count, Math.max(1, unique.length)), ids: unique, ...to };
}

/** A label filter, checked by the label rules; `{}` (no pairs) filters nothing. */
function labelFilter(labels: unknown): { labels?: Record<string, string> } {
  if (labels === undefined) return {};
  const problem = labelsProblem(labels);
  if (problem) throw new InvalidAdminArgumentError(problem.field, problem.value, problem.expected);
  const filter = labels as Record<string, string>;
  return Object.keys(filter).length === 0 ? {} : { labels: { ...filter } };
}

function isEntryId(value: unknown): value is string {
  if (typeof value !== 'string' || !ENTRY_ID.test(value)) return false;
  return value.split('-').every((part) => BigInt(part) <= MAX_ID_PART);
}

function parseCount(count: unknown, fallback: number): number {
  if (count === undefined) return fallback;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_ADMIN_COUNT) {
    throw new InvalidAdminArgumentError('count', count, `a whole number from 1 to ${MAX_ADMIN_COUNT}`);
  }
  return count;
}

function asOptions<T extends object>(options: T | undefined): Partial<Record<keyof T, unknown>> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidAdminArgumentError('options', options, 'an options object');
  }
  return options as Partial<Record<keyof T, unknown>>;
}
