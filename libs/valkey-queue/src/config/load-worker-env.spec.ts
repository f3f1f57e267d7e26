import { loadValkeyQueueOptionsFromEnv } from './load-options-from-env.js';
import { validateOptions } from './validate-options.js';
import { thrownBy } from './thrown-by.spec-helper.js';
import { ConfigError } from '../errors/config.error.js';

describe('VALKEY_QUEUE_WORKER_* and VALKEY_QUEUE_SCHEDULER_* variables', () => {
  it('reads every worker variable into the module-wide worker defaults, which validate', () => {
    const options = loadValkeyQueueOptionsFromEnv({
      VALKEY_QUEUE_URL: 'redis://h:1',
      VALKEY_QUEUE_WORKER_GROUP: 'billing',
      VALKEY_QUEUE_WORKER_CONCURRENCY: '20',
      VALKEY_QUEUE_WORKER_BATCH_SIZE: '50',
      VALKEY_QUEUE_WORKER_MAX_RETRIES: '5',
      VALKEY_QUEUE_WORKER_BACKOFF_TYPE: 'fixed',
      VALKEY_QUEUE_WORKER_BACKOFF_DELAY: '2s',
      VALKEY_QUEUE_WORKER_BACKOFF_JITTER: '0.2',
      VALKEY_QUEUE_WORKER_TIMEOUT: '30s',
      VALKEY_QUEUE_WORKER_CLAIM_IDLE: '1m',
      VALKEY_QUEUE_WORKER_DELETE_ON_ACK: 'yes',
      VALKEY_QUEUE_WORKER_TRIM_ACKED: 'off',
      VALKEY_QUEUE_WORKER_IDEMPOTENT: 'true',
      VALKEY_QUEUE_WORKER_PROCESSED_TTL: '1h',
      VALKEY_QUEUE_WORKER_SHUTDOWN_TIMEOUT: '15s',
      VALKEY_QUEUE_WORKER_CONSUMER_IDLE_CLEANUP: '0',
      VALKEY_QUEUE_WORKER_BLOCK_TIMEOUT: '5s',
      VALKEY_QUEUE_WORKER_DEAD_LETTER_MAX_LEN: '5000',
      VALKEY_QUEUE_WORKER_DEAD_LETTER_EXPIRED: 'false',
      VALKEY_QUEUE_WORKER_DEAD_LETTER_STACK: 'false',
      VALKEY_QUEUE_WORKER_AUTO_START: '0',
      VALKEY_QUEUE_SCHEDULER_POLL_INTERVAL: '500ms',
      VALKEY_QUEUE_SCHEDULER_PROMOTE_BATCH_SIZE: '200',
    });
    expect(options.worker).toEqual({
      group: 'billing',
      concurrency: 20,
      batchSize: 50,
      maxRetries: 5,
      backoff: { type: 'fixed', delay: 2_000, maxDelay: 600_000, jitter: 0.2 },
      timeout: 30_000,
      claimIdle: 60_000,
      deleteOnAck: true,
      trimAcked: false,
      idempotent: true,
      processedTtl: 3_600_000,
      shutdownTimeout: 15_000,
      consumerIdleCleanup: 0,
      blockTimeout: 5_000,
      deadLetterMaxLen: 5_000,
      deadLetterExpired: false,
      deadLetterStack: false,
      autoStart: false,
    });
    expect(options.scheduler).toEqual({ pollInterval: 500, promoteBatchSize: 200 });
    expect(() => validateOptions(options)).not.toThrow();
  });

  it('fills the parts of a backoff that are not set from the default backoff', () => {
    const options = loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_WORKER_BACKOFF_DELAY: '0' });
    expect(options.worker).toEqual({ backoff: { type: 'exponential', delay: 0, maxDelay: 600_000 } });
  });

  it('leaves worker and scheduler options out when no variable is set', () => {
    const options = loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_URL: 'redis://h:1' });
    expect(options).not.toHaveProperty('worker');
    expect(options).not.toHaveProperty('scheduler');
  });

  it.each([
    ['VALKEY_QUEUE_WORKER_CONCURRENCY', '0', /whole number from 1 to 10000/],
    ['VALKEY_QUEUE_WORKER_BACKOFF_TYPE', 'linear', /one of fixed, exponential/],
    ['VALKEY_QUEUE_WORKER_BACKOFF_JITTER', '1.5', /from 0 to 1/],
    ['VALKEY_QUEUE_WORKER_CLAIM_IDLE', 'soon', /positive duration/],
    ['VALKEY_QUEUE_WORKER_IDEMPOTENT', 'maybe', /true or false/],
    ['VALKEY_QUEUE_SCHEDULER_PROMOTE_BATCH_SIZE', '5000', /from 1 to 1000/],
  ])('%s=%s is a ConfigError naming the variable', (variable, value, message) => {
    const error = thrownBy(() => loadValkeyQueueOptionsFromEnv({ [variable]: value }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(variable);
    expect((error as ConfigError).message).toMatch(message);
  });
});
