import type { EnvReader } from './load-sender-env.js';
import {
  parseBoolean,
  parseDuration,
  parseDurationOrZero,
  parseEnum,
  parseInteger,
  parseRatio,
} from './env-parsers.js';
import type { BackoffOptions, WorkerDefaults } from '../interfaces/worker-options.interface.js';
import { withoutUndefined } from '../utils/objects.util.js';

/**
 * Worker defaults from `VALKEY_QUEUE_WORKER_*` variables (table in docs/workers.md), the module's
 * `worker` option: every `@QueueWorker` starts from them. Returns undefined when none is set.
 * @internal
 */
export function loadWorkerDefaultsFromEnv(parsed: EnvReader): WorkerDefaults | undefined {
  const env = <T>(name: string, parse: (variable: string, raw: string) => T): T | undefined =>
    parsed(`WORKER_${name}`, parse);
  const worker: WorkerDefaults = withoutUndefined({
    group: env('GROUP', (_, raw) => raw.trim()),
    concurrency: env('CONCURRENCY', (v, raw) => parseInteger(v, raw, 1, 10_000)),
    batchSize: env('BATCH_SIZE', (v, raw) => parseInteger(v, raw, 1, 10_000)),
    maxRetries: env('MAX_RETRIES', (v, raw) => parseInteger(v, raw, 0, 1_000)),
    backoff: loadBackoff(env),
    timeout: env('TIMEOUT', parseDuration),
    claimIdle: env('CLAIM_IDLE', parseDuration),
    deleteOnAck: env('DELETE_ON_ACK', parseBoolean),
    trimAcked: env('TRIM_ACKED', parseBoolean),
    idempotent: env('IDEMPOTENT', parseBoolean),
    processedTtl: env('PROCESSED_TTL', parseDuration),
    shutdownTimeout: env('SHUTDOWN_TIMEOUT', parseDuration),
    consumerIdleCleanup: env('CONSUMER_IDLE_CLEANUP', parseDurationOrZero),
    blockTimeout: env('BLOCK_TIMEOUT', parseDuration),
    deadLetterMaxLen: env('DEAD_LETTER_MAX_LEN', (v, raw) => parseInteger(v, raw, 1)),
    deadLetterExpired: env('DEAD_LETTER_EXPIRED', parseBoolean),
    deadLetterStack: env('DEAD_LETTER_STACK', parseBoolean),
    autoStart: env('AUTO_START', parseBoolean),
  });
  return Object.keys(worker).length > 0 ? worker : undefined;
}

/**
 * `WORKER_BACKOFF_TYPE` (`fixed` | `exponential`), `_DELAY` (0 allowed), `_MAX_DELAY`, `_JITTER`
 * (0..1). Unset parts take the default backoff's: exponential from 1 s, at most 10 min.
 */
function loadBackoff(env: EnvReader): BackoffOptions | undefined {
  const type = env('BACKOFF_TYPE', (v, raw) => parseEnum(v, raw, ['fixed', 'exponential'] as const));
  const delay = env('BACKOFF_DELAY', parseDurationOrZero);
  const maxDelay = env('BACKOFF_MAX_DELAY', parseDuration);
  const jitter = env('BACKOFF_JITTER', parseRatio);
  if ([type, delay, maxDelay, jitter].every((value) => value === undefined)) return undefined;
  return withoutUndefined({
    type: type ?? 'exponential',
    delay: delay ?? 1_000,
    maxDelay: maxDelay ?? 600_000,
    jitter,
  });
}
