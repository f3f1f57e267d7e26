import { Registry } from 'prom-client';
import { loadValkeyQueueOptionsFromEnv } from './load-options-from-env.js';
import { issuesOf } from './thrown-by.spec-helper.js';
import { validateOptions } from './validate-options.js';
import { ConfigError } from '../errors/config.error.js';
import { MissingDependencyError } from '../errors/missing-dependency.error.js';
import { loadPromClient } from '../observability/metrics/load-prom-client.js';

describe('metrics options', () => {
  it('are off by default, with the valkey_queue_ prefix', () => {
    expect(validateOptions({ connection: {} }).metrics).toEqual({ enabled: false, prefix: 'valkey_queue_' });
  });

  it('keep a given registry and prefix (an empty prefix too)', () => {
    const registry = new Registry();
    expect(
      validateOptions({ connection: {}, metrics: { enabled: true, prefix: '', registry } }).metrics,
    ).toEqual({
      enabled: true,
      prefix: '',
      registry,
    });
  });

  it('refuse wrong types, a prefix that is no metric name, unknown fields and a non-registry', () => {
    expect(
      issuesOf({ connection: {}, metrics: { enabled: 'yes', prefix: '9lives', extra: 1 } }).sort(),
    ).toEqual([
      'metrics.enabled: enabled must be a boolean value',
      'metrics.extra: property extra should not exist',
      'metrics.prefix: prefix may contain only letters, digits, _ and : and must not start with a digit',
    ]);
    expect(issuesOf({ connection: {}, metrics: { enabled: true, registry: {} } })).toEqual([
      'metrics.registry: a prom-client Registry',
    ]);
  });

  it('come from VALKEY_QUEUE_METRICS_* variables, with typed errors for bad values', () => {
    expect(
      loadValkeyQueueOptionsFromEnv({
        VALKEY_QUEUE_METRICS_ENABLED: 'on',
        VALKEY_QUEUE_METRICS_PREFIX: 'shop_',
      }).metrics,
    ).toEqual({ enabled: true, prefix: 'shop_' });
    expect(loadValkeyQueueOptionsFromEnv({}).metrics).toBeUndefined();
    expect(() => loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_METRICS_ENABLED: 'sure' })).toThrow(
      ConfigError,
    );
  });
});

describe('loadPromClient', () => {
  it('loads the installed prom-client', async () => {
    const client = await loadPromClient();
    expect(typeof client.Registry).toBe('function');
  });

  it('turns a missing package into MissingDependencyError naming it and the option', async () => {
    const missing = Object.assign(new Error("Cannot find package 'prom-client'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = await loadPromClient(() => Promise.reject(missing)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect(error).toMatchObject({
      code: 'VQ_MISSING_DEPENDENCY',
      dependency: 'prom-client',
      feature: 'metrics.enabled',
      cause: missing,
    });
    expect((error as Error).message).toContain('npm install prom-client');
  });

  it('refuses a module that is not prom-client', async () => {
    await expect(loadPromClient(async () => ({ default: {} }))).rejects.toBeInstanceOf(
      MissingDependencyError,
    );
  });
});
