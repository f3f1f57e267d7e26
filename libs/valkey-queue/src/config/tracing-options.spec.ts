import { loadValkeyQueueOptionsFromEnv } from './load-options-from-env.js';
import { validateOptions } from './validate-options.js';
import { ConfigError } from '../errors/config.error.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { ValkeyQueueOptions } from '../interfaces/valkey-queue-options.interface.js';

const issuesOf = (options: unknown): string[] => {
  let thrown: unknown;
  try {
    validateOptions(options as ValkeyQueueOptions);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidOptionsError);
  return (thrown as InvalidOptionsError).issues.map(
    ({ path, expected }) => `${path}: ${expected.join('; ')}`,
  );
};

describe('tracing options', () => {
  it('are on by default (spans while an OpenTelemetry SDK is registered), and can be turned off', () => {
    expect(validateOptions({ connection: {} }).tracing).toEqual({ enabled: true });
    expect(validateOptions({ connection: {}, tracing: {} }).tracing).toEqual({ enabled: true });
    expect(validateOptions({ connection: {}, tracing: { enabled: false } }).tracing).toEqual({
      enabled: false,
    });
  });

  it('refuse a non-boolean and unknown fields', () => {
    expect(issuesOf({ connection: {}, tracing: { enabled: 'no', sampler: 0.1 } }).sort()).toEqual([
      'tracing.enabled: enabled must be a boolean value',
      'tracing.sampler: property sampler should not exist',
    ]);
  });

  it('come from VALKEY_QUEUE_TRACING_ENABLED, with a typed error for a bad value', () => {
    expect(loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_TRACING_ENABLED: 'false' }).tracing).toEqual({
      enabled: false,
    });
    expect(loadValkeyQueueOptionsFromEnv({}).tracing).toBeUndefined();
    expect(() => loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_TRACING_ENABLED: 'sure' })).toThrow(
      ConfigError,
    );
  });
});
