import { validateSync, type ValidationError } from 'class-validator';
import { JSON_CODEC } from '../codec/json.codec.js';
import type { PayloadCodec } from '../codec/payload-codec.interface.js';
import { InvalidWorkerError } from '../errors/invalid-worker.error.js';
import type {
  Backoff,
  DtoClass,
  PriorityPolicy,
  WorkerDefaults,
  WorkerOptions,
  WorkerTransport,
} from '../interfaces/worker-options.interface.js';
import { assertQueueName } from '../utils/keys.util.js';
import { isPlainObject, withoutUndefined } from '../utils/objects.util.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import { consumerName } from '../utils/consumer-name.js';
import { checkTransportOptions } from './list-options.js';
import { WorkerOptionsSchema } from './worker-options.schema.js';

/** Module-level worker defaults with every default applied. @internal */
export interface ResolvedWorkerDefaults {
  group: string;
  concurrency: number;
  batchSize: number;
  maxRetries: number;
  backoff: Backoff;
  timeout?: number;
  claimIdle: number;
  deleteOnAck: boolean;
  trimAcked: boolean;
  idempotent: boolean;
  processedTtl: number;
  shutdownTimeout: number;
  consumerIdleCleanup: number;
  blockTimeout: number;
  deadLetterMaxLen: number;
  deadLetterExpired: boolean;
  deadLetterStack: boolean;
  autoStart: boolean;
  codec: PayloadCodec;
}

/** Everything one worker runs with. @internal */
export interface ResolvedWorkerOptions extends ResolvedWorkerDefaults {
  queue: string;
  consumer: string;
  /** The consumer name outlives the process: drain our own pending entries at start. */
  stableConsumer: boolean;
  transport: WorkerTransport;
  /** List transport: the key to consume instead of the key layout's (workers/list/list-options.ts). */
  queueNamer?: (queue: string) => string;
  payload?: DtoClass;
  noAck: boolean;
  /** How reads pick among priorities (`'strict'` unless the worker sets it). */
  priorityPolicy: PriorityPolicy;
  /** Most ordering keys in work at once (docs/ordering.md); 0 turns ordered consumption off. */
  orderedConcurrency?: number;
  /** What a dead message does to the rest of its ordering key. */
  orderedOnDead?: 'continue' | 'park';
}

/** The defaults of every worker option (docs/workers.md lists them). */
export const WORKER_DEFAULTS: Readonly<ResolvedWorkerDefaults> = {
  group: 'default',
  concurrency: 1,
  batchSize: 100,
  maxRetries: 3,
  backoff: DEFAULT_BACKOFF,
  claimIdle: 30_000,
  deleteOnAck: false,
  trimAcked: true,
  idempotent: false,
  processedTtl: 86_400_000,
  shutdownTimeout: 10_000,
  consumerIdleCleanup: 3_600_000,
  blockTimeout: 10_000,
  deadLetterMaxLen: 100_000,
  deadLetterExpired: true,
  deadLetterStack: true,
  autoStart: true,
  codec: JSON_CODEC,
};

/** Module option `worker` (already validated by the module schema) with defaults applied. @internal */
export function resolveWorkerDefaults(defaults: WorkerDefaults | undefined): ResolvedWorkerDefaults {
  return { ...WORKER_DEFAULTS, ...withoutUndefined(defaults ?? {}) };
}

/**
 * Validates one worker's `@QueueWorker` options and merges them over the module defaults.
 * Throws `InvalidWorkerError` naming the class and every invalid field. @internal
 */
export function resolveWorkerOptions(
  workerName: string,
  queue: unknown,
  options: unknown,
  defaults: ResolvedWorkerDefaults,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedWorkerOptions {
  try {
    assertQueueName(queue);
  } catch (error) {
    throw new InvalidWorkerError(workerName, (error as Error).message);
  }
  if (options !== undefined && !isPlainObject(options)) {
    throw new InvalidWorkerError(workerName, 'the @QueueWorker options must be an object');
  }
  const given = (options ?? {}) as WorkerOptions;
  const issues = validateSync(Object.assign(new WorkerOptionsSchema(), given), {
    whitelist: true,
    forbidNonWhitelisted: true,
  }).flatMap(describeIssue);
  if (issues.length > 0) throw new InvalidWorkerError(workerName, `invalid options: ${issues.join('; ')}`);
  checkTransportOptions(workerName, given);
  const { consumer, transport = 'stream', queueNamer, payload, noAck, priorityPolicy, ...rest } = given;
  const name = consumerName(consumer, env);
  const resolved: ResolvedWorkerOptions = {
    ...defaults,
    ...withoutUndefined(rest),
    queue,
    consumer: name.name,
    stableConsumer: name.stable,
    transport,
    payload,
    noAck: noAck ?? false,
    priorityPolicy: priorityPolicy ?? 'strict',
  };
  // Lists have no consumer groups to trim or share; an acked list message is always removed.
  if (transport === 'list') Object.assign(resolved, { queueNamer, deleteOnAck: false, trimAcked: false });
  return resolved;
}

function describeIssue(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {}).map((message) =>
    message.startsWith(error.property) ? message : `${error.property}: ${message}`,
  );
  return [...own, ...(error.children ?? []).flatMap(describeIssue)];
}
