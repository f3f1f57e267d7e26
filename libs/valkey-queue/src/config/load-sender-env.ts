import { parseBoolean, parseDuration, parseDurationOrZero, parseEnum, parseInteger } from './env-parsers.js';
import { ConfigError } from '../errors/config.error.js';
import { withoutUndefined } from '../utils/objects.util.js';
import type {
  CircuitBreakerOptions,
  RateLimitOptions,
  SenderDefaults,
} from '../interfaces/sender-options.interface.js';

/** Reads `VALKEY_QUEUE_<name>` through a parser; undefined when unset or empty. @internal */
export type EnvReader = <T>(name: string, parse: (variable: string, raw: string) => T) => T | undefined;

const DISABLED_WORDS = new Set(['off', 'false', 'no', 'none', 'disabled']);

/**
 * Sender defaults from `VALKEY_QUEUE_SENDER_*` variables (table in docs/sending.md). Returns
 * undefined when none is set. Durations take `500ms`, `5s`, `2m`, `1h` or bare milliseconds.
 * @internal
 */
export function loadSenderDefaultsFromEnv(parsed: EnvReader): SenderDefaults | undefined {
  const env = <T>(name: string, parse: (variable: string, raw: string) => T): T | undefined =>
    parsed(`SENDER_${name}`, parse);
  const retryBackoff = withoutUndefined({
    initialDelay: env('RETRY_INITIAL_DELAY', parseDuration),
    maxDelay: env('RETRY_MAX_DELAY', parseDuration),
  });
  const sender: SenderDefaults = withoutUndefined({
    transport: env('TRANSPORT', (v, raw) => parseEnum(v, raw, ['stream', 'list'] as const)),
    listFormat: env('LIST_FORMAT', (v, raw) => parseEnum(v, raw, ['envelope', 'valkeysender'] as const)),
    maxPayloadBytes: env('MAX_PAYLOAD_BYTES', (v, raw) => parseInteger(v, raw, 1)),
    chunkSize: env('CHUNK_SIZE', (v, raw) => parseInteger(v, raw, 1, 10_000)),
    timeout: env('TIMEOUT', parseDuration),
    idempotencyWindow: env('IDEMPOTENCY_WINDOW', parseDurationOrZero),
    dedupTtl: env('DEDUP_TTL', parseDuration),
    ttl: env('TTL', parseDuration),
    maxLen: env('MAX_LEN', (v, raw) => parseInteger(v, raw, 1)),
    maxAge: env('MAX_AGE', parseDuration),
    maxRetries: env('MAX_RETRIES', (v, raw) => parseInteger(v, raw, 0, 100)),
    retryBackoff: Object.keys(retryBackoff).length > 0 ? retryBackoff : undefined,
    rateLimit: loadRateLimit(env),
    circuitBreaker: loadCircuitBreaker(env),
    statusWindow: env('STATUS_WINDOW', parseDuration),
  });
  return Object.keys(sender).length > 0 ? sender : undefined;
}

/** `SENDER_RATE_LIMIT`: sends per second, or `off`; plus `_BURST` and `_MAX_WAIT`. */
function loadRateLimit(env: EnvReader): RateLimitOptions | false | undefined {
  const rate = env('RATE_LIMIT', (v, raw) =>
    DISABLED_WORDS.has(raw.trim().toLowerCase()) ? false : parsePositive(v, raw),
  );
  const settings: RateLimitOptions = withoutUndefined({
    perSecond: rate === false ? undefined : rate,
    burst: env('RATE_LIMIT_BURST', (v, raw) => parseInteger(v, raw, 1)),
    maxWait: env('RATE_LIMIT_MAX_WAIT', parseDurationOrZero),
  });
  if (rate === false) {
    if (Object.keys(settings).length > 0) {
      throw new ConfigError(
        'VALKEY_QUEUE_SENDER_RATE_LIMIT',
        'is off, but other VALKEY_QUEUE_SENDER_RATE_LIMIT_* variables are set',
      );
    }
    return false;
  }
  return Object.keys(settings).length > 0 ? settings : undefined;
}

/** `SENDER_BREAKER=false` turns it off; `_MODE`, `_THRESHOLD`, `_WINDOW`, `_MINIMUM_RPS`, `_HALF_OPEN_AFTER`. */
function loadCircuitBreaker(env: EnvReader): CircuitBreakerOptions | false | undefined {
  const enabled = env('BREAKER', parseBoolean);
  const settings: CircuitBreakerOptions = withoutUndefined({
    mode: env('BREAKER_MODE', (v, raw) => parseEnum(v, raw, ['consecutive', 'ratio'] as const)),
    threshold: env('BREAKER_THRESHOLD', parsePositive),
    window: env('BREAKER_WINDOW', parseDuration),
    minimumRps: env('BREAKER_MINIMUM_RPS', (v, raw) => (raw.trim() === '0' ? 0 : parsePositive(v, raw))),
    halfOpenAfter: env('BREAKER_HALF_OPEN_AFTER', parseDuration),
  });
  if (enabled === false) {
    if (Object.keys(settings).length > 0) {
      throw new ConfigError(
        'VALKEY_QUEUE_SENDER_BREAKER',
        'is false, but other VALKEY_QUEUE_SENDER_BREAKER_* variables are set',
      );
    }
    return false;
  }
  return Object.keys(settings).length > 0 ? settings : undefined;
}

/** A finite number > 0 (decimals allowed, e.g. a rate of 0.5 per second or a ratio of 0.25). */
function parsePositive(variable: string, raw: string): number {
  const value = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(variable, `expected a number > 0, got ${JSON.stringify(raw)}`);
  }
  return value;
}
