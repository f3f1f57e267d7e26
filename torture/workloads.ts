import type { QueueTransport, WorkerOptions } from 'nestjs-valkey-queue';

/**
 * Every kind of message the torture run sends and handles. To add a kind (priorities, per-key
 * ordering...), add one entry here: producers send to every kind, workers start one worker per kind,
 * and the checker counts every kind by its `name`, with `exactlyOnce` deciding whether a duplicate
 * fails the run.
 */
export interface WorkloadKind {
  name: string;
  transport: QueueTransport;
  /** Worker options besides the queue (each kind has its own queue, `torture-<name>`). */
  worker: WorkerOptions;
  /**
   * The handler is idempotent (`idempotent: true`): a run after an earlier successful run of the same
   * message fails the run unless a fault could explain it (the documented window: a crash, a stall or
   * a lost connection between the handler's end and its ack).
   */
  exactlyOnce: boolean;
  /** Share of messages sent with a delay (0..1), up to `maxDelay` ms. */
  delayed: number;
  maxDelay: number;
  /** Share of messages sent with a random priority of 1..10 (0..1); the rest go at priority 0. */
  prioritized?: number;
  /**
   * Every message is sent with an `orderingKey` (docs/ordering.md): each producer's send loop owns
   * `ORDERING_KEYS_PER_LOOP` keys and awaits each send, so its acknowledged sends of a key are in
   * send order; the checker requires each key's handlers to run one at a time, in that order.
   */
  ordered?: boolean;
}

/** Handler timeout of every kind: `hang` messages sleep past it on their first attempt. */
export const HANDLER_TIMEOUT = 1_500;
/** Short, so messages of killed or stopped workers are reclaimed within the run. */
export const CLAIM_IDLE = 4_000;

const common: WorkerOptions = {
  concurrency: 8,
  maxRetries: 4,
  timeout: HANDLER_TIMEOUT,
  claimIdle: CLAIM_IDLE,
  backoff: { type: 'exponential', delay: 100, maxDelay: 1_000 },
  shutdownTimeout: 2_000,
};

export const WORKLOADS: readonly WorkloadKind[] = [
  {
    name: 'stream',
    transport: 'stream',
    worker: common,
    exactlyOnce: false,
    delayed: 0.1,
    maxDelay: 3_000,
    prioritized: 0.3,
  },
  {
    name: 'stream-idempotent',
    transport: 'stream',
    worker: { ...common, idempotent: true, priorityPolicy: { weighted: true } },
    exactlyOnce: true,
    delayed: 0.1,
    maxDelay: 3_000,
    prioritized: 0.3,
  },
  {
    name: 'list',
    transport: 'list',
    worker: { ...common, transport: 'list' },
    exactlyOnce: false,
    delayed: 0.1,
    maxDelay: 3_000,
  },
  {
    name: 'list-idempotent',
    transport: 'list',
    worker: { ...common, transport: 'list', idempotent: true },
    exactlyOnce: true,
    delayed: 0.1,
    maxDelay: 3_000,
    prioritized: 0.3,
  },
  {
    name: 'stream-ordered',
    transport: 'stream',
    worker: common,
    exactlyOnce: false,
    delayed: 0.1,
    maxDelay: 3_000,
    ordered: true,
  },
];

/** Ordering keys per producer send loop (`<producer>/<loop>-<n>`), for the `ordered` kinds. */
export const ORDERING_KEYS_PER_LOOP = 3;

export const queueOf = (kind: WorkloadKind): string => `torture-${kind.name}`;

/**
 * What a producer asks of the handler, in the payload: `fail` (throw an Error on the first attempts),
 * `throwValue` (throw a non-Error on the first attempt), `hang` (ignore the signal past the timeout
 * on the first attempt), `poison` (always throw: ends dead).
 */
export type Behaviour = 'ok' | 'fail' | 'throwValue' | 'hang' | 'poison';

export interface TorturePayload {
  k: string;
  behaviour: Behaviour;
}

/** The schedule every worker process upserts (the same definition: one schedule). */
export const TICK_SCHEDULE = 'torture-tick';
export const TICK_QUEUE = 'torture-ticks';
export const TICK_EVERY = 1_000;

/** Streams handed out through stream ownership; holders write fenced entries to a log per stream. */
export const OWNED_STREAMS = ['owned-a', 'owned-b', 'owned-c', 'owned-d', 'owned-e', 'owned-f'];
export const OWNERSHIP_SERVICE = 'torture';
export const LEASE_TTL = 3_000;
