import { ConfigError } from '../errors/config.error.js';
import { loadValkeyQueueOptionsFromEnv } from './load-options-from-env.js';
import { thrownBy } from './thrown-by.spec-helper.js';
import { validateOptions } from './validate-options.js';

describe('loadValkeyQueueOptionsFromEnv', () => {
  it('reads every connection variable', () => {
    const options = loadValkeyQueueOptionsFromEnv({
      VALKEY_QUEUE_HOST: 'valkey.internal',
      VALKEY_QUEUE_PORT: '6380',
      VALKEY_QUEUE_DATABASE: '42',
      VALKEY_QUEUE_USERNAME: 'app',
      VALKEY_QUEUE_PASSWORD: 's3cret',
      VALKEY_QUEUE_TLS_CA_FILE: '/etc/ca.pem',
      VALKEY_QUEUE_TLS_SKIP_VERIFY: 'false',
      VALKEY_QUEUE_PREFIX: 'billing',
      VALKEY_QUEUE_CONNECT_TIMEOUT: '2s',
      VALKEY_QUEUE_COMMAND_TIMEOUT: '500ms',
      VALKEY_QUEUE_LAZY_CONNECT: 'yes',
    });
    expect(options).toEqual({
      prefix: 'billing',
      connection: {
        host: 'valkey.internal',
        port: 6380,
        db: 42, // not capped at 15
        username: 'app',
        password: 's3cret',
        tls: { caFile: '/etc/ca.pem', rejectUnauthorized: true }, // a CA alone is enough
        connectTimeout: 2_000,
        commandTimeout: 500,
        lazyConnect: true,
      },
    });
  });

  it('leaves unset and empty variables to the defaults', () => {
    expect(
      loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_URL: 'redis://h:1', VALKEY_QUEUE_PORT: '  ' }),
    ).toEqual({
      connection: { url: 'redis://h:1' },
    });
    expect(validateOptions(loadValkeyQueueOptionsFromEnv({})).connection).toMatchObject({
      connectTimeout: 10_000,
    });
  });

  it('reads client certificate files for mutual TLS and TLS_SKIP_VERIFY', () => {
    const { connection } = loadValkeyQueueOptionsFromEnv({
      VALKEY_QUEUE_TLS_CERT_FILE: '/c.pem',
      VALKEY_QUEUE_TLS_KEY_FILE: '/k.pem',
      VALKEY_QUEUE_TLS_SKIP_VERIFY: 'true',
    });
    expect(connection.tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem', rejectUnauthorized: false });
  });

  it('turns TLS on or off with TLS_ENABLED alone', () => {
    expect(loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_TLS_ENABLED: 'true' }).connection.tls).toBe(true);
    expect(loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_TLS_ENABLED: 'false' }).connection.tls).toBe(false);
  });

  it('reads sentinel and cluster address lists', () => {
    const sentinel = loadValkeyQueueOptionsFromEnv({
      VALKEY_QUEUE_SENTINELS: 's1:26379,s2:26379',
      VALKEY_QUEUE_SENTINEL_NAME: 'primary',
      VALKEY_QUEUE_SENTINEL_PASSWORD: 'x',
    });
    expect(sentinel.connection).toEqual({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'primary',
      sentinelPassword: 'x',
    });
    expect(loadValkeyQueueOptionsFromEnv({ VALKEY_QUEUE_CLUSTER_NODES: 'n1:7000' }).connection.nodes).toEqual(
      [{ host: 'n1', port: 7000 }],
    );
  });

  it.each([
    ['VALKEY_QUEUE_PORT', 'http', /expected a whole number from 1 to 65535/],
    ['VALKEY_QUEUE_PORT', '0', /expected a whole number from 1 to 65535/],
    ['VALKEY_QUEUE_DATABASE', '-1', /expected a whole number >= 0/],
    ['VALKEY_QUEUE_TLS_ENABLED', 'maybe', /expected true or false/],
    ['VALKEY_QUEUE_TLS_SKIP_VERIFY', 'sure', /expected true or false/],
    ['VALKEY_QUEUE_LAZY_CONNECT', '2', /expected true or false/],
    ['VALKEY_QUEUE_CONNECT_TIMEOUT', '10 seconds', /expected a positive duration/],
    ['VALKEY_QUEUE_COMMAND_TIMEOUT', '-5s', /expected a positive duration/],
    ['VALKEY_QUEUE_SENTINELS', 'no-port', /expected host:port/],
    ['VALKEY_QUEUE_CLUSTER_NODES', 'a:1,b', /expected host:port/],
  ])('rejects %s=%p with a ConfigError naming it', (variable, value, expected) => {
    const load = () => loadValkeyQueueOptionsFromEnv({ [variable]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^${variable}: ${expected.source}`));
    expect(thrownBy(load)).toMatchObject({ variable, code: 'VQ_CONFIG' });
  });

  it('refuses TLS settings while TLS_ENABLED is false', () => {
    expect(() =>
      loadValkeyQueueOptionsFromEnv({
        VALKEY_QUEUE_TLS_ENABLED: 'false',
        VALKEY_QUEUE_TLS_CA_FILE: '/ca.pem',
      }),
    ).toThrow(/^VALKEY_QUEUE_TLS_ENABLED: is false, but other VALKEY_QUEUE_TLS_\* variables are set/);
  });
});
