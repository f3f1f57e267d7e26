import { loadValkeyQueueOptionsFromEnv } from './load-options-from-env.js';
import { issuesOf } from './thrown-by.spec-helper.js';
import { validateOptions } from './validate-options.js';
import { ConfigError } from '../errors/config.error.js';
import { MissingDependencyError } from '../errors/missing-dependency.error.js';
import { loadPg } from '../history/load-pg.js';

const postgres = { connectionString: 'postgres://app@db:5432/app' };

describe('history options', () => {
  it('are off unless given', () => {
    expect(validateOptions({ connection: {} }).history).toBeUndefined();
  });

  it('apply the defaults: schema valkey_queue, 30 days, no payloads, a backlog of a million', () => {
    expect(validateOptions({ connection: {}, history: { postgres } }).history).toEqual({
      postgres,
      schema: 'valkey_queue',
      retentionMs: 30 * 86_400_000,
      payloads: 'none',
      maxBacklog: 1_000_000,
    });
    expect(
      validateOptions({
        connection: {},
        history: { postgres, retention: '12h', schema: 'audit', payloads: 'full' },
      }).history,
    ).toMatchObject({ retentionMs: 12 * 3_600_000, schema: 'audit', payloads: 'full' });
  });

  it('take a pg Pool', () => {
    const pool = {
      query: async () => ({ rows: [], rowCount: 0 }),
      connect: async () => ({}),
      end: async () => {},
    };
    expect(
      validateOptions({ connection: {}, history: { postgres: { pool } as never } }).history?.postgres,
    ).toEqual({ pool });
  });

  it('refuse a bad schema, retention, payloads, backlog, unknown fields and a postgres that is neither form', () => {
    expect(
      issuesOf({
        connection: {},
        history: {
          postgres,
          schema: 'Drop Table',
          retention: '30',
          payloads: 'some',
          maxBacklog: 0,
          extra: 1,
        },
      }).sort(),
    ).toEqual([
      'history.extra: property extra should not exist',
      'history.maxBacklog: maxBacklog must not be less than 1',
      'history.payloads: payloads must be one of the following values: none, truncated, full',
      "history.retention: retention must be a whole number of hours or days, like '30d' or '12h'",
      'history.schema: schema may contain only lower-case letters, digits and _',
    ]);
    expect(issuesOf({ connection: {}, history: { postgres: { url: 'x' } } })).toEqual([
      'history.postgres: { connectionString } or { pool } (a pg Pool)',
    ]);
    expect(issuesOf({ connection: {}, history: {} })).toEqual([
      'history.postgres: postgres must be an object',
    ]);
  });

  it('come from VALKEY_QUEUE_HISTORY_* variables, the URL turning history on', () => {
    expect(
      loadValkeyQueueOptionsFromEnv({
        VALKEY_QUEUE_HISTORY_URL: postgres.connectionString,
        VALKEY_QUEUE_HISTORY_SCHEMA: 'audit',
        VALKEY_QUEUE_HISTORY_RETENTION: '7d',
        VALKEY_QUEUE_HISTORY_PAYLOADS: 'truncated',
        VALKEY_QUEUE_HISTORY_MAX_BACKLOG: '5000',
      }).history,
    ).toEqual({ postgres, schema: 'audit', retention: '7d', payloads: 'truncated', maxBacklog: 5000 });
    expect(loadValkeyQueueOptionsFromEnv({}).history).toBeUndefined();
    expect(() => loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_HISTORY_SCHEMA: 'audit' })).toThrow(
      /VALKEY_QUEUE_HISTORY_URL/,
    );
    expect(() =>
      loadValkeyQueueOptionsFromEnv({
        VALKEY_QUEUE_HISTORY_URL: 'postgres://x',
        VALKEY_QUEUE_HISTORY_PAYLOADS: 'all',
      }),
    ).toThrow(ConfigError);
  });
});

describe('loadPg', () => {
  it('loads the installed pg', async () => {
    expect(typeof (await loadPg()).Pool).toBe('function');
  });

  it('turns a missing package into MissingDependencyError naming it and the option', async () => {
    const missing = Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await loadPg(() => Promise.reject(missing)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect(error).toMatchObject({ dependency: 'pg', feature: 'history', cause: missing });
    await expect(loadPg(() => Promise.resolve({}))).rejects.toBeInstanceOf(MissingDependencyError);
  });
});
