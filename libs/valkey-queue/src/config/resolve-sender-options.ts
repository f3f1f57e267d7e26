import { validateSync, type ValidationError } from 'class-validator';
import { JSON_CODEC } from '../codec/json.codec.js';
import type { PayloadCodec } from '../codec/payload-codec.interface.js';
import { InvalidOptionsError, type InvalidOption } from '../errors/invalid-options.error.js';
import { assertQueueName } from '../utils/keys.util.js';
import { isPlainObject, withoutUndefined as definedOnly } from '../utils/objects.util.js';
import type {
  CircuitBreakerOptions,
  DurabilityOptions,
  RateLimitOptions,
  RegisterSenderOptions,
  SenderDefaults,
  SenderHooks,
  SenderOptions,
  SenderTransport,
  ListFormat,
} from '../interfaces/sender-options.interface.js';
import { RegisterSenderSchema, toSenderSchema } from './sender-options.schema.js';

/** One sender's options with every default applied. @internal */
export interface ResolvedSenderOptions extends SenderHooks {
  transport: SenderTransport;
  queueNamer?: (queue: string) => string;
  listFormat: ListFormat;
  codec: PayloadCodec;
  maxPayloadBytes: number;
  chunkSize: number;
  timeout: number;
  idempotencyWindow: number;
  dedupTtl: number;
  ttl?: number;
  headers: Record<string, string>;
  maxLen?: number;
  maxAge?: number;
  maxRetries: number;
  retryBackoff: { initialDelay: number; maxDelay: number };
  rateLimit: (Required<Omit<RateLimitOptions, 'maxWait'>> & { maxWait?: number }) | false;
  /** WAIT for replicas after each write; false or undefined for none. */
  durability?: DurabilityOptions | false;
}

/** The module's sender defaults, resolved. @internal */
export interface ResolvedSenderDefaults extends ResolvedSenderOptions {
  circuitBreaker: Required<CircuitBreakerOptions> | false;
  statusWindow: number;
}

export const SENDER_DEFAULTS: Readonly<ResolvedSenderDefaults> = Object.freeze<ResolvedSenderDefaults>({
  transport: 'stream',
  listFormat: 'envelope',
  codec: JSON_CODEC,
  maxPayloadBytes: 1024 * 1024,
  chunkSize: 1_000,
  timeout: 10_000,
  idempotencyWindow: 60_000,
  dedupTtl: 3_600_000,
  headers: {},
  maxRetries: 3,
  retryBackoff: { initialDelay: 100, maxDelay: 2_000 },
  // Opt-in: a limit the app did not ask for would throttle it (and every benchmark of it).
  rateLimit: false,
  circuitBreaker: { mode: 'consecutive', threshold: 4, window: 30_000, minimumRps: 5, halfOpenAfter: 60_000 },
  statusWindow: 60_000,
});

const RATIO_THRESHOLD_DEFAULT = 0.5;
/** What a `rateLimit` object leaves out: valkeysender's values. */
const RATE_LIMIT_DEFAULTS = { perSecond: 1_000, burst: 2_000 };

/**
 * Checks of `forRoot({ sender })` that field decorators cannot express. Field-level checks run in
 * validateOptions with the rest of the module options.
 */
export function senderRuleIssues(sender: SenderDefaults | undefined, path = 'sender'): InvalidOption[] {
  if (!isPlainObject(sender)) return [];
  const issues = commonRuleIssues(sender, path);
  const breaker = sender.circuitBreaker;
  const threshold = isPlainObject(breaker) ? breaker.threshold : undefined;
  if (isPlainObject(breaker) && typeof threshold === 'number') {
    const ratio = breaker.mode === 'ratio';
    const valid = ratio ? threshold > 0 && threshold < 1 : Number.isInteger(threshold) && threshold >= 1;
    if (!valid) {
      issues.push({
        path: `${path}.circuitBreaker.threshold`,
        value: threshold,
        expected: [ratio ? 'a failure ratio between 0 and 1 (exclusive)' : 'a whole number of failures >= 1'],
      });
    }
  }
  return issues;
}

function commonRuleIssues(options: SenderOptions, path: string): InvalidOption[] {
  const issues: InvalidOption[] = [];
  if (options.maxLen !== undefined && options.maxAge !== undefined) {
    issues.push({ path: `${path}.maxAge`, value: options.maxAge, expected: ['only one of maxLen, maxAge'] });
  }
  const window = options.idempotencyWindow;
  const timeout = options.timeout ?? SENDER_DEFAULTS.timeout;
  if (typeof window === 'number' && window > 0 && window < timeout) {
    issues.push({
      path: `${path}.idempotencyWindow`,
      value: window,
      expected: [`0 (off), or at least the send timeout (${timeout} ms), so a retry always finds its marker`],
    });
  }
  if (options.listFormat === 'valkeysender' && (options.transport ?? 'stream') !== 'list') {
    issues.push({
      path: `${path}.listFormat`,
      value: options.listFormat,
      expected: ["'envelope' unless transport is 'list' (valkeysender's format is a list element)"],
    });
  }
  const durability = options.durability;
  if (isPlainObject(durability) && typeof durability.timeout === 'number' && durability.timeout >= timeout) {
    issues.push({
      path: `${path}.durability.timeout`,
      value: durability.timeout,
      expected: [`less than the send timeout (${timeout} ms)`],
    });
  }
  const backoff = options.retryBackoff;
  if (isPlainObject(backoff) && (backoff.initialDelay ?? 100) > (backoff.maxDelay ?? 2_000)) {
    issues.push({
      path: `${path}.retryBackoff.initialDelay`,
      value: backoff.initialDelay,
      expected: ['at most retryBackoff.maxDelay'],
    });
  }
  return issues;
}

/** Applies the defaults to validated `forRoot({ sender })` options. */
export function resolveSenderDefaults(sender: SenderDefaults = {}): ResolvedSenderDefaults {
  const base = mergeSenderOptions(SENDER_DEFAULTS, sender);
  const breaker = sender.circuitBreaker;
  return {
    ...base,
    statusWindow: sender.statusWindow ?? SENDER_DEFAULTS.statusWindow,
    circuitBreaker:
      breaker === false
        ? false
        : {
            ...(SENDER_DEFAULTS.circuitBreaker as Required<CircuitBreakerOptions>),
            ...(breaker?.mode === 'ratio' ? { threshold: RATIO_THRESHOLD_DEFAULT } : {}),
            ...definedOnly(breaker ?? {}),
          },
  };
}

/** A registered sender's options over the module defaults. Nested objects merge field by field. */
export function mergeSenderOptions<T extends ResolvedSenderOptions>(base: T, own: SenderOptions): T {
  const merged = { ...base, ...definedOnly(own) } as T;
  merged.headers = { ...base.headers, ...(own.headers ?? {}) };
  merged.retryBackoff = { ...base.retryBackoff, ...definedOnly(own.retryBackoff ?? {}) };
  if (own.rateLimit === false) merged.rateLimit = false;
  else if (own.rateLimit) {
    merged.rateLimit = {
      ...(base.rateLimit || RATE_LIMIT_DEFAULTS),
      ...definedOnly(own.rateLimit),
    };
  }
  return merged;
}

/**
 * Checks a registered sender's options once merged over the module's (e.g. its own `timeout`
 * against an inherited `idempotencyWindow`). Throws `InvalidOptionsError`.
 */
export function assertMergedSenderOptions(options: ResolvedSenderOptions, name: string): void {
  const { idempotencyWindow, timeout, listFormat, transport, durability } = options;
  const issues = commonRuleIssues(
    { idempotencyWindow, timeout, listFormat, transport, durability },
    `registerSender(${JSON.stringify(name)})`,
  );
  if (issues.length > 0) throw new InvalidOptionsError(issues);
}

/**
 * Validates `registerSender()` options at once (at import time), throwing `InvalidOptionsError`
 * with every problem, or `InvalidQueueNameError` for the name.
 */
export function validateRegisterSenderOptions(options: RegisterSenderOptions): void {
  if (!isPlainObject(options)) {
    throw new InvalidOptionsError([
      { path: 'registerSender', value: options, expected: ['an object with a `name` field'] },
    ]);
  }
  const errors = validateSync(toSenderSchema(RegisterSenderSchema, options), {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  const issues = errors.flatMap((error) => flatten(error, 'registerSender'));
  if (issues.length === 0) issues.push(...commonRuleIssues(options, 'registerSender'));
  if (issues.length > 0) throw new InvalidOptionsError(issues);
  assertQueueName(options.name);
}

function flatten(error: ValidationError, parent: string): InvalidOption[] {
  const path = `${parent}.${error.property}`;
  const own: InvalidOption[] = error.constraints
    ? [{ path, value: displayValue(error.value), expected: Object.values(error.constraints) }]
    : [];
  return [...own, ...(error.children ?? []).flatMap((child) => flatten(child, path))];
}

const displayValue = (value: unknown): unknown => (typeof value === 'function' ? '[function]' : value);
