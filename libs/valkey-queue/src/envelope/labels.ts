import { isPlainObject } from '../utils/objects.util.js';

/**
 * Message labels: a few short `key -> value` strings carried with a message and its dead letter,
 * for filtering (never used as metric labels: their values are unbounded). The same rules hold at
 * send, at schedule upsert, for admin filters and when a worker reads a foreign producer's envelope.
 */

/** Most pairs one message carries. */
export const MAX_LABELS = 16;
/** Label keys: lower-case letters, digits, `_`, `.`, `-`; 1 to 64 characters. */
export const LABEL_KEY = /^[a-z0-9_.-]{1,64}$/;
/** Longest label value, in UTF-8 bytes. */
export const MAX_LABEL_VALUE_BYTES = 256;

/** Why `value` is not a valid set of labels: the field at fault and what it should be. */
export interface LabelsProblem {
  /** `labels`, or `labels.<key>` for one pair. */
  field: string;
  value: unknown;
  expected: string;
}

/** The first rule `value` breaks, or undefined when it is a valid set of labels. */
export function labelsProblem(value: unknown): LabelsProblem | undefined {
  if (!isPlainObject(value)) return { field: 'labels', value, expected: 'an object of string values' };
  const entries = Object.entries(value);
  if (entries.length > MAX_LABELS) {
    return { field: 'labels', value, expected: `at most ${MAX_LABELS} labels (got ${entries.length})` };
  }
  for (const [key, label] of entries) {
    if (!LABEL_KEY.test(key)) {
      return { field: 'labels', value: key, expected: 'keys of 1-64 characters from [a-z0-9_.-]' };
    }
    if (typeof label !== 'string') {
      return { field: `labels.${key}`, value: label, expected: 'a string' };
    }
    if (Buffer.byteLength(label, 'utf8') > MAX_LABEL_VALUE_BYTES) {
      return {
        field: `labels.${key}`,
        value: label,
        expected: `a string of at most ${MAX_LABEL_VALUE_BYTES} UTF-8 bytes`,
      };
    }
  }
  return undefined;
}

/** Whether `labels` holds every pair of `filter`. */
export function hasLabels(
  labels: Readonly<Record<string, string>>,
  filter: Readonly<Record<string, string>>,
): boolean {
  for (const key in filter) {
    if (!Object.hasOwn(labels, key) || labels[key] !== filter[key]) return false;
  }
  return true;
}

/**
 * Reads stored labels leniently (dead-letter listings, redrive filters): the labels when `text` is
 * a JSON object that follows the rules, `{}` when absent or malformed.
 */
export function readStoredLabels(text: string | undefined): Record<string, string> {
  if (text === undefined || text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  return labelsProblem(parsed) === undefined ? (parsed as Record<string, string>) : {};
}
