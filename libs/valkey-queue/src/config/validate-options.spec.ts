import { Redis } from 'ioredis';
import { invalidOptions } from './thrown-by.spec-helper.js';
import { parseValkeyUrl, validateOptions } from './validate-options.js';
import { WORKER_DEFAULTS } from './worker-options.js';
import { SENDER_DEFAULTS } from './resolve-sender-options.js';

const invalid = invalidOptions;

describe('validateOptions', () => {
  it('applies defaults', () => {
    expect(validateOptions({ connection: {} })).toEqual({
      prefix: 'vq',
      scheduler: { pollInterval: 1_000, promoteBatchSize: 100 },
      sender: SENDER_DEFAULTS,
      worker: WORKER_DEFAULTS,
      metrics: { enabled: false, prefix: 'valkey_queue_' },
      tracing: { enabled: true },
      connection: {
        connectTimeout: 10_000,
        commandTimeout: 5_000,
        lazyConnect: false,
        reconnect: { initialDelay: 100, maxDelay: 30_000 },
      },
    });
  });

  it('unpacks a URL with credentials, db and TLS', () => {
    const { connection } = validateOptions({
      connection: { url: 'rediss://app:p%40ss@cache.local:6390/17' },
    });
    expect(connection).toMatchObject({
      host: 'cache.local',
      port: 6390,
      db: 17,
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
    expect(connection).not.toHaveProperty('url');
  });

  it('lets explicit fields override what the URL says', () => {
    const { connection } = validateOptions({ connection: { url: 'redis://h:1/2', db: 3 } as never });
    // url + host would conflict, but url + db refines the URL
    expect(connection).toMatchObject({ host: 'h', port: 1, db: 3 });
  });

  it('lists every invalid field in one error, with values and expectations', () => {
    const error = invalid({
      connection: { port: 70_000, db: -1, connectTimeout: 'soon', lazyConnect: 'yes', tls: 'on' },
      prefix: 'has space',
    });
    const paths = error.issues.map((issue) => issue.path).sort();
    expect(paths).toEqual([
      'connection.connectTimeout',
      'connection.db',
      'connection.lazyConnect',
      'connection.port',
      'connection.tls',
      'prefix',
    ]);
    expect(error.code).toBe('VQ_INVALID_OPTIONS');
    expect(error.message).toContain('Invalid ValkeyQueueModule options (6)');
    expect(error.message).toContain('connection.port = 70000: port must not be greater than 65535');
    expect(error.message).toContain('connection.connectTimeout = "soon"');
    expect(error.message).toContain(
      'connection.tls = "on": tls must be true, false or a TLS settings object',
    );
  });

  it('never shows secrets in the error', () => {
    const error = invalid({
      connection: {
        password: 42,
        sentinelPassword: ['x'],
        tls: { key: 7, rejectUnauthorized: 'no' },
        port: 'x',
      },
    });
    expect(error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'connection.password', value: '[redacted]' }),
        expect.objectContaining({ path: 'connection.sentinelPassword', value: '[redacted]' }),
        expect.objectContaining({ path: 'connection.tls.key', value: '[redacted]' }),
        expect.objectContaining({ path: 'connection.tls.rejectUnauthorized', value: 'no' }),
      ]),
    );
    const urlError = invalid({ connection: { url: 'http://user:hunter2@h:1' } });
    expect(urlError.message).not.toContain('hunter2');
    expect(urlError.message).toContain('http://user:[redacted]@h:1');
  });

  it('reports a function where a list of nodes belongs as invalid options, not a TypeError', () => {
    const error = invalid({ connection: { nodes: () => 1 } });
    expect(error.issues.map((issue) => issue.path)).toContain('connection.nodes');
  });

  it('never shows the value of an unknown field: it may be a misspelt secret', () => {
    const error = invalid({ connection: { host: 'h', pasword: 'hunter2' } });
    expect(error.issues).toEqual([
      expect.objectContaining({ path: 'connection.pasword', value: '[redacted]' }),
    ]);
    expect(error.message).not.toContain('hunter2');
  });

  it('rejects unknown fields, so typos never pass silently', () => {
    const error = invalid({ connection: { hots: 'typo' }, prefx: 'x' });
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['connection.hots', 'prefx']);
  });

  it.each([
    [{ connection: { url: 'redis://h:1', host: 'h' } }, 'connection.host', /only one of url, host/],
    [{ connection: { url: 'http://h:1' } }, 'connection.url', /a URL like redis:\/\//],
    [{ connection: { url: 'redis://h:1/abc' } }, 'connection.url', /a URL like redis:\/\//],
    [{ connection: { sentinels: [{ host: 's', port: 26379 }] } }, 'connection.name', /the primary name/],
    [{ connection: { name: 'primary' } }, 'connection.name', /only together with sentinels/],
    [{ connection: { nodes: [{ host: 'n', port: 7000 }], db: 2 } }, 'connection.db', /db 0 with cluster/],
    [{ connection: { client: { fake: true } } }, 'connection.client', /an ioredis Redis or Cluster instance/],
    [
      { connection: { reconnect: { initialDelay: 500, maxDelay: 100 } } },
      'connection.reconnect.initialDelay',
      /at most/,
    ],
    [{ connection: { sentinels: [], name: 'x' } }, 'connection.sentinels', /should not be empty/],
    [{ connection: { nodes: [{ host: '', port: 0 }] } }, 'connection.nodes.0.host', /should not be empty/],
    [{ connection: { commandTimeout: 0 } }, 'connection.commandTimeout', /must not be less than 1/],
    [{ connection: {}, prefix: 'a{b}' }, 'prefix', /no braces/],
    [{}, 'connection', /connection is required/],
    [{ connection: 'redis://h' }, 'connection', /nested property connection must be either object or array/],
    [null, '(options)', /an object with a `connection` field/],
  ])('rejects %j at %s', (options, path, expected) => {
    const issue = invalid(options).issues.find((candidate) => candidate.path === path);
    expect(issue?.expected.join('; ')).toMatch(expected);
  });

  it('accepts a shared ioredis client and never walks it', () => {
    const client = new Redis({ lazyConnect: true });
    expect(validateOptions({ connection: { client } }).connection.client).toBe(client);
    client.disconnect();
  });
});

describe('parseValkeyUrl', () => {
  it('reads IPv6 hosts and rejects other schemes', () => {
    expect(parseValkeyUrl('redis://[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(parseValkeyUrl('valkey://h:1')).toBeUndefined();
    expect(parseValkeyUrl('not a url')).toBeUndefined();
  });
});
