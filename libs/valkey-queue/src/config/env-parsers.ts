import { ConfigError } from '../errors/config.error.js';
import type { ValkeyNodeAddress } from '../interfaces/connection-options.interface.js';

/**
 * Parsers for environment variable values. Each throws a `ConfigError` naming the variable and
 * the expected form: a bad value never silently falls back to a default.
 * @internal
 */

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/** `500ms`, `5s`, `2m`, `1h`, or a bare number of milliseconds → whole milliseconds. */
export function parseDuration(variable: string, raw: string): number {
  const match = DURATION_PATTERN.exec(raw.trim());
  const ms = match ? Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2] ?? 'ms']) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new ConfigError(
      variable,
      `expected a positive duration like 500ms, 5s, 2m or 1h, got ${quote(raw)}`,
    );
  }
  return ms;
}

/** A duration, or 0 (`0`, `0s`...) to turn the feature off. */
export function parseDurationOrZero(variable: string, raw: string): number {
  return /^0+(ms|s|m|h)?$/.test(raw.trim()) ? 0 : parseDuration(variable, raw);
}

/** A number from 0 to 1 (decimals allowed), e.g. a jitter ratio. */
export function parseRatio(variable: string, raw: string): number {
  const value = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new ConfigError(variable, `expected a number from 0 to 1, got ${quote(raw)}`);
  }
  return value;
}

/** A whole number within [min, max]. */
export function parseInteger(
  variable: string,
  raw: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(variable, `expected a whole number ${range}, got ${quote(raw)}`);
  }
  return value;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** `true/false`, `1/0`, `yes/no`, `on/off` (any case). */
export function parseBoolean(variable: string, raw: string): boolean {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ConfigError(variable, `expected true or false (also 1/0, yes/no, on/off), got ${quote(raw)}`);
}

/** One of a fixed set of words. */
export function parseEnum<const T extends string>(variable: string, raw: string, allowed: readonly T[]): T {
  const word = raw.trim() as T;
  if (allowed.includes(word)) return word;
  throw new ConfigError(variable, `expected one of ${allowed.join(', ')}, got ${quote(raw)}`);
}

/** `host:port,host:port` → addresses (Sentinels, Cluster seeds). IPv6 hosts in brackets. */
export function parseAddressList(variable: string, raw: string): ValkeyNodeAddress[] {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0)
    throw new ConfigError(variable, 'expected host:port[,host:port...], got an empty list');
  return entries.map((entry) => {
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(entry);
    if (!match) throw new ConfigError(variable, `expected host:port, got ${quote(entry)}`);
    return { host: match[1], port: parseInteger(variable, match[2], 1, 65_535) };
  });
}

const quote = (raw: string): string => JSON.stringify(raw);
