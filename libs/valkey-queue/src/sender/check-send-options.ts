import { InvalidSendOptionsError } from '../errors/invalid-send-options.error.js';
import { labelsProblem } from '../envelope/labels.js';
import { isPriority, PRIORITY_RULE } from '../envelope/priority.js';
import { checkOrderingOptions } from '../ordering/ordering-key.js';
import { isPlainObject } from '../utils/objects.util.js';
import type { SendOptions } from '../interfaces/send-options.interface.js';

/** Longest dedup key we accept: it becomes part of a key name. */
export const MAX_DEDUP_KEY_LENGTH = 1_024;

const KNOWN_OPTIONS = new Set<string>([
  'delay',
  'at',
  'ttl',
  'dedupKey',
  'dedupTtl',
  'priority',
  'headers',
  'labels',
  'orderingKey',
  'signal',
  'timeout',
]);

/** Send options after checking: whole milliseconds, at most one of delay/at. @internal */
export interface CheckedSendOptions {
  /** Relative delay (ms), when the message is delayed by `delay`. */
  delay?: number;
  /** Absolute due time (epoch ms), when `at` is in the future. */
  dueAt?: number;
  ttl?: number;
  dedupKey?: string;
  dedupTtl?: number;
  headers?: Record<string, string>;
  /** 1..10; absent for priority 0 (the queue's own key, no field written). */
  priority?: number;
  /** Set only when there is at least one label (an empty object writes no field). */
  labels?: Record<string, string>;
  /** Set when the message is ordered (docs/ordering.md). */
  orderingKey?: string;
  signal?: AbortSignal;
  timeout?: number;
}

const EMPTY: CheckedSendOptions = Object.freeze({});

/**
 * Checks `options` of a send (or batch) and normalizes them. Throws `InvalidSendOptionsError` for
 * unknown fields, wrong types and meaningless values (contract item 11). `now` is the local clock, used to tell a past `at` (send now) from a future one.
 * @internal
 */
export function checkSendOptions(
  options: SendOptions | undefined,
  kind: 'send' | 'sendBatch',
  now: number,
): CheckedSendOptions {
  if (options === undefined) return EMPTY;
  if (!isPlainObject(options)) throw new InvalidSendOptionsError('options', options, 'an object');
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) {
      throw new InvalidSendOptionsError(
        name,
        options[name as keyof SendOptions],
        `one of ${[...KNOWN_OPTIONS].join(', ')}`,
      );
    }
  }
  const orderingKey = options.orderingKey === undefined ? undefined : checkOrderingOptions(options);
  const checked: CheckedSendOptions = {};
  if (options.priority !== undefined) {
    if (!isPriority(options.priority)) {
      throw new InvalidSendOptionsError('priority', options.priority, PRIORITY_RULE);
    }
    if (options.priority > 0) checked.priority = options.priority;
  }
  if (options.delay !== undefined) checked.delay = positiveMs('delay', options.delay);
  if (options.at !== undefined) {
    if (!(options.at instanceof Date) || Number.isNaN(options.at.getTime())) {
      throw new InvalidSendOptionsError('at', options.at, 'a valid Date');
    }
    if (checked.delay !== undefined)
      throw new InvalidSendOptionsError('at', options.at, 'either delay or at, not both');
    // A time in the past (or now) means "send now" (contract item 5).
    if (options.at.getTime() > now) checked.dueAt = options.at.getTime();
  }
  if (options.ttl !== undefined) checked.ttl = positiveMs('ttl', options.ttl);
  const dueIn = checked.delay ?? (checked.dueAt === undefined ? 0 : checked.dueAt - now);
  if (checked.ttl !== undefined && dueIn >= checked.ttl) {
    throw new InvalidSendOptionsError(
      'ttl',
      options.ttl,
      `more than the delay (${dueIn} ms): it would expire before it is due`,
    );
  }
  if (options.dedupKey !== undefined) {
    if (kind === 'sendBatch') {
      throw new InvalidSendOptionsError(
        'dedupKey',
        options.dedupKey,
        'no dedupKey in sendBatch (one key would suppress all but one message): use send() per message',
      );
    }
    const key = options.dedupKey;
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_DEDUP_KEY_LENGTH) {
      throw new InvalidSendOptionsError(
        'dedupKey',
        key,
        `a non-empty string of at most ${MAX_DEDUP_KEY_LENGTH} characters`,
      );
    }
    checked.dedupKey = key;
  }
  if (options.dedupTtl !== undefined) {
    if (checked.dedupKey === undefined) {
      throw new InvalidSendOptionsError('dedupTtl', options.dedupTtl, 'a dedupKey to go with it');
    }
    checked.dedupTtl = positiveMs('dedupTtl', options.dedupTtl);
  }
  if (options.headers !== undefined) {
    const { headers } = options;
    if (!isPlainObject(headers) || !Object.values(headers).every((value) => typeof value === 'string')) {
      throw new InvalidSendOptionsError('headers', headers, 'an object of string values');
    }
    checked.headers = headers as Record<string, string>;
  }
  if (options.labels !== undefined) {
    const problem = labelsProblem(options.labels);
    if (problem) throw new InvalidSendOptionsError(problem.field, problem.value, problem.expected);
    // A copy: the caller may change its object while the send is in flight.
    const labels = options.labels as Record<string, string>;
    if (Object.keys(labels).length > 0) checked.labels = { ...labels };
  }
  if (options.signal !== undefined) {
    if (!(options.signal instanceof AbortSignal))
      throw new InvalidSendOptionsError('signal', options.signal, 'an AbortSignal');
    checked.signal = options.signal;
  }
  if (options.timeout !== undefined) checked.timeout = positiveMs('timeout', options.timeout);
  if (orderingKey !== undefined) checked.orderingKey = orderingKey;
  return checked;
}

/** A finite number > 0, rounded up to whole milliseconds (so 0.5 ms never becomes 0). */
function positiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidSendOptionsError(name, value, 'a finite number of milliseconds > 0');
  }
  const ms = Math.ceil(value);
  if (!Number.isSafeInteger(ms))
    throw new InvalidSendOptionsError(name, value, 'at most 2^53 - 1 milliseconds');
  return ms;
}
