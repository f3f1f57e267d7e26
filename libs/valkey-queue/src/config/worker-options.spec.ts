import { JSON_CODEC } from '../codec/json.codec.js';
import { InvalidWorkerError } from '../errors/invalid-worker.error.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import { resolveWorkerDefaults, resolveWorkerOptions, WORKER_DEFAULTS } from './worker-options.js';

const defaults = resolveWorkerDefaults(undefined);
const env = { POD_NAME: 'pod-1' };

const failure = (options: unknown, queue: unknown = 'orders'): InvalidWorkerError => {
  let thrown: unknown;
  try {
    resolveWorkerOptions('OrdersWorker', queue, options, defaults, env);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidWorkerError);
  return thrown as InvalidWorkerError;
};

describe('worker options', () => {
  it('has the documented defaults', () => {
    expect(WORKER_DEFAULTS).toEqual({
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
    });
  });

  it('merges worker options over module defaults over built-in defaults', () => {
    const moduleDefaults = resolveWorkerDefaults({ group: 'app', concurrency: 5, timeout: undefined });
    const resolved = resolveWorkerOptions(
      'W',
      'orders',
      { concurrency: 20, noAck: true },
      moduleDefaults,
      env,
    );
    expect(resolved).toMatchObject({
      queue: 'orders',
      group: 'app',
      concurrency: 20,
      maxRetries: 3,
      noAck: true,
      transport: 'stream',
      consumer: 'pod-1',
      stableConsumer: true,
    });
    expect(resolved.timeout).toBeUndefined();
  });

  it('names the class and every invalid field', () => {
    const error = failure({ concurrency: 0, claimIdle: 5, backoff: 'soon', typo: 1 });
    expect(error.workerName).toBe('OrdersWorker');
    expect(error.message).toMatch(/^Invalid worker OrdersWorker: invalid options: /);
    expect(error.message).toMatch(/concurrency must not be less than 1/);
    expect(error.message).toMatch(/claimIdle must not be less than 100/);
    expect(error.message).toMatch(/backoff must be a delay in ms/);
    expect(error.message).toMatch(/property typo should not exist/);
  });

  it('refuses a bad queue name, non-object options, a non-class payload and an unknown transport', () => {
    expect(failure({}, 'a{b}').message).toMatch(/Invalid queue name/);
    expect(failure({}, '').message).toMatch(/must not be empty/);
    expect(failure('fast').message).toMatch(/must be an object/);
    expect(failure({ payload: {} }).message).toMatch(/payload must be a DTO class/);
    expect(failure({ codec: { encode: String } }).message).toMatch(/codec must be an object with a decode/);
    expect(failure({ transport: 'kafka' }).message).toMatch(/transport must be one of/);
  });
});
