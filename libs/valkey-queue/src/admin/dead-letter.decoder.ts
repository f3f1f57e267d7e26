import { parsePriority } from '../envelope/priority.js';
import { fieldsToRecord } from '../envelope/envelope.js';
import { readStoredLabels } from '../envelope/labels.js';
import type { DeadLetter } from '../interfaces/dead-letter.interface.js';

/**
 * Whether a dead-letter entry carries a full envelope (`v`, `id`, `payload`), so redrive.lua can
 * put it back on the queue. The script applies the same rule. @internal
 */
export function isRedrivable(record: Readonly<Record<string, string>>): boolean {
  return record.v !== undefined && !!record.id && record.payload !== undefined;
}

/**
 * Reads one dead-letter stream entry. Never throws: whatever is malformed is left out of the typed
 * fields and kept in `raw`. `text` false: its stored bytes are not UTF-8 text (the fields hold
 * U+FFFD in their place); it is kept in `raw` and never redriven (it would only be broken again). @internal
 */
export function decodeDeadLetter<T = unknown>(
  entryId: string,
  fields: readonly string[],
  text = true,
): DeadLetter<T> {
  const record = fieldsToRecord(fields);
  const redrivable = text && isRedrivable(record);
  const reason = record.reason || 'broken';
  const letter: DeadLetter<T> = {
    entryId,
    reason,
    error: record.error ?? '',
    attempts: wholeNumber(record.attempts) ?? 0,
    headers: parseHeaders(record.headers),
    labels: readStoredLabels(record.labels),
    priority: parsePriority(record.priority) ?? 0,
    redrivable,
  };
  if (record.id) letter.id = record.id;
  setDate(letter, 'failedAt', record.failedAt);
  setDate(letter, 'createdAt', record.createdAt);
  setDate(letter, 'expiresAt', record.expiresAt);
  if (record.sourceId !== undefined) letter.sourceId = record.sourceId;
  if (record.dedupKey !== undefined) letter.dedupKey = record.dedupKey;
  if (record.payload !== undefined) {
    letter.payloadText = record.payload;
    const parsed = parseJson(record.payload);
    if (parsed.ok) letter.payload = parsed.value as T;
  }
  if (reason === 'broken' || !redrivable) letter.raw = record;
  return letter;
}

// The largest epoch ms a Date can hold (ECMA-262 time values).
const MAX_DATE_MS = 8.64e15;

function wholeNumber(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d{1,16}$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}

function setDate(letter: DeadLetter, field: 'failedAt' | 'createdAt' | 'expiresAt', raw?: string): void {
  const ms = wholeNumber(raw);
  if (ms !== undefined && ms <= MAX_DATE_MS) letter[field] = new Date(ms);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function parseHeaders(raw: string | undefined): Record<string, string> {
  const parsed = raw === undefined ? undefined : parseJson(raw);
  if (!parsed?.ok) return {};
  const { value } = parsed;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const entries = Object.entries(value);
  return entries.every(([, header]) => typeof header === 'string') ? Object.fromEntries(entries) : {};
}
