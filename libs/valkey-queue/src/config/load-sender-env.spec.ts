import { loadValkeyQueueOptionsFromEnv } from './load-options-from-env.js';
import { validateOptions } from './validate-options.js';
import { thrownBy } from './thrown-by.spec-helper.js';
import { ConfigError } from '../errors/config.error.js';

describe('VALKEY_QUEUE_SENDER_* variables', () => {
  it('reads every sender variable', () => {
    const options = loadValkeyQueueOptionsFromEnv({
      VALKEY_QUEUE_URL: 'redis://h:1',
      VALKEY_QUEUE_SENDER_TRANSPORT: 'list',
      VALKEY_QUEUE_SENDER_MAX_PAYLOAD_BYTES: '65536',
      VALKEY_QUEUE_SENDER_CHUNK_SIZE: '500',
      VALKEY_QUEUE_SENDER_TIMEOUT: '3s',
      VALKEY_QUEUE_SENDER_IDEMPOTENCY_WINDOW: '2m',
      VALKEY_QUEUE_SENDER_DEDUP_TTL: '1h',
      VALKEY_QUEUE_SENDER_TTL: '90s',
      VALKEY_QUEUE_SENDER_MAX_AGE: '24h',
      VALKEY_QUEUE_SENDER_MAX_RETRIES: '5',
      VALKEY_QUEUE_SENDER_RETRY_INITIAL_DELAY: '50ms',
      VALKEY_QUEUE_SENDER_RETRY_MAX_DELAY: '1s',
      VALKEY_QUEUE_SENDER_RATE_LIMIT: '250.5',
      VALKEY_QUEUE_SENDER_RATE_LIMIT_BURST: '500',
      VALKEY_QUEUE_SENDER_RATE_LIMIT_MAX_WAIT: '0',
      VALKEY_QUEUE_SENDER_BREAKER_MODE: 'ratio',
      VALKEY_QUEUE_SENDER_BREAKER_THRESHOLD: '0.25',
      VALKEY_QUEUE_SENDER_BREAKER_WINDOW: '10s',
      VALKEY_QUEUE_SENDER_BREAKER_MINIMUM_RPS: '0',
      VALKEY_QUEUE_SENDER_BREAKER_HALF_OPEN_AFTER: '30s',
      VALKEY_QUEUE_SENDER_STATUS_WINDOW: '2m',
    });
    expect(options.sender).toEqual({
      transport: 'list',
      maxPayloadBytes: 65_536,
      chunkSize: 500,
      timeout: 3_000,
      idempotencyWindow: 120_000,
      dedupTtl: 3_600_000,
      ttl: 90_000,
      maxAge: 86_400_000,
      maxRetries: 5,
      retryBackoff: { initialDelay: 50, maxDelay: 1_000 },
      rateLimit: { perSecond: 250.5, burst: 500, maxWait: 0 },
      circuitBreaker: {
        mode: 'ratio',
        threshold: 0.25,
        window: 10_000,
        minimumRps: 0,
        halfOpenAfter: 30_000,
      },
      statusWindow: 120_000,
    });
    expect(() => validateOptions(options)).not.toThrow();
  });

  it('sets no sender options when no sender variable is set', () => {
    expect(loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_URL: 'redis://h:1' })).toEqual({
      connection: { url: 'redis://h:1' },
    });
  });

  it('turns the rate limiter and the breaker off, and markers off with 0', () => {
    const { sender } = loadValkeyQueueOptionsFromEnv({
      VALKEY_QUEUE_SENDER_RATE_LIMIT: 'off',
      VALKEY_QUEUE_SENDER_BREAKER: 'false',
      VALKEY_QUEUE_SENDER_IDEMPOTENCY_WINDOW: '0s',
    });
    expect(sender).toEqual({ rateLimit: false, circuitBreaker: false, idempotencyWindow: 0 });
  });

  it.each([
    ['VALKEY_QUEUE_SENDER_MAX_RETRIES', '-1'],
    ['VALKEY_QUEUE_SENDER_MAX_RETRIES', 'three'],
    ['VALKEY_QUEUE_SENDER_TRANSPORT', 'kafka'],
    ['VALKEY_QUEUE_SENDER_TIMEOUT', '0'],
    ['VALKEY_QUEUE_SENDER_TIMEOUT', '10 seconds'],
    ['VALKEY_QUEUE_SENDER_RATE_LIMIT', '-5'],
    ['VALKEY_QUEUE_SENDER_RATE_LIMIT', 'fast'],
    ['VALKEY_QUEUE_SENDER_MAX_PAYLOAD_BYTES', '1MB'],
    ['VALKEY_QUEUE_SENDER_CHUNK_SIZE', '100000'],
    ['VALKEY_QUEUE_SENDER_BREAKER', 'maybe'],
    ['VALKEY_QUEUE_SENDER_BREAKER_THRESHOLD', 'half'],
    ['VALKEY_QUEUE_SENDER_BREAKER_MODE', 'sampling'],
  ])('names %s in a ConfigError for %p', (variable, value) => {
    const error = thrownBy(() => loadValkeyQueueOptionsFromEnv({ [variable]: value }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ variable, code: 'VQ_CONFIG' });
  });

  it('refuses settings of a feature that is turned off', () => {
    expect(() =>
      loadValkeyQueueOptionsFromEnv({
        VALKEY_QUEUE_SENDER_RATE_LIMIT: 'off',
        VALKEY_QUEUE_SENDER_RATE_LIMIT_BURST: '5',
      }),
    ).toThrow(/RATE_LIMIT: is off/);
    expect(() =>
      loadValkeyQueueOptionsFromEnv({
        VALKEY_QUEUE_SENDER_BREAKER: 'no',
        VALKEY_QUEUE_SENDER_BREAKER_THRESHOLD: '5',
      }),
    ).toThrow(/BREAKER: is false/);
  });
});
