import {
  capabilitiesFromHello,
  capabilitiesFromInfo,
  markLiveArgs,
  UNKNOWN_SERVER,
  weakestOf,
} from './server-capabilities.js';

const info = (...lines: string[]): string => ['# Server', ...lines, 'os:Linux', ''].join('\r\n');

describe('capabilitiesFromInfo', () => {
  it('Valkey 8: behaves as its redis_version (7.2.4) says, named by valkey_version', () => {
    expect(
      capabilitiesFromInfo(info('redis_version:7.2.4', 'server_name:valkey', 'valkey_version:8.0.1')),
    ).toEqual({
      server: 'valkey',
      version: '8.0.1',
      idleCountsReadAttempts: true,
      supported: true,
    });
  });

  it('Valkey 7.2 (no valkey_version yet): its redis_version 7.2.x says idle counts read attempts', () => {
    expect(capabilitiesFromInfo(info('redis_version:7.2.5', 'server_name:valkey'))).toMatchObject({
      idleCountsReadAttempts: true,
      supported: true,
    });
  });

  it.each(['7.2.0', '7.4.2', '8.0.2', '10.0.0'])(
    'Redis %s: idle counts read attempts (inactive exists)',
    (version) => {
      expect(capabilitiesFromInfo(info(`redis_version:${version}`))).toEqual({
        server: 'redis',
        version,
        idleCountsReadAttempts: true,
        supported: true,
      });
    },
  );

  it.each(['7.0.15', '7.1.242'])('Redis %s: idle counts only reads that delivered', (version) => {
    expect(capabilitiesFromInfo(info(`redis_version:${version}`))).toEqual({
      server: 'redis',
      version,
      idleCountsReadAttempts: false,
      supported: true,
    });
  });

  it('Redis 6.2: not supported', () => {
    expect(capabilitiesFromInfo(info('redis_version:6.2.14'))).toMatchObject({
      version: '6.2.14',
      idleCountsReadAttempts: false,
      supported: false,
    });
  });

  it('a reply without a version: the conservative answer', () => {
    expect(capabilitiesFromInfo(info('uptime_in_seconds:3'))).toEqual(UNKNOWN_SERVER);
    expect(capabilitiesFromInfo('')).toEqual(UNKNOWN_SERVER);
  });
});

describe('capabilitiesFromHello', () => {
  it('a RESP2 reply from Redis 7.0', () => {
    const reply = ['server', 'redis', 'version', '7.0.15', 'proto', 2, 'id', 7, 'mode', 'standalone'];
    expect(capabilitiesFromHello(reply)).toEqual({
      server: 'redis',
      version: '7.0.15',
      idleCountsReadAttempts: false,
      supported: true,
    });
  });

  it('a RESP3 map from Valkey 8: every Valkey counts read attempts', () => {
    const reply = new Map<string, unknown>([
      ['server', 'valkey'],
      ['version', '8.0.1'],
      ['proto', 3],
    ]);
    expect(capabilitiesFromHello(reply)).toEqual({
      server: 'valkey',
      version: '8.0.1',
      idleCountsReadAttempts: true,
      supported: true,
    });
  });

  it('Redis 7.2 (or Valkey 7.2, which answers as redis)', () => {
    expect(capabilitiesFromHello(['server', 'redis', 'version', '7.2.4'])).toMatchObject({
      idleCountsReadAttempts: true,
    });
  });

  it('another server, or no reply to read: the conservative answer', () => {
    expect(capabilitiesFromHello(['server', 'KeyDB', 'version', '6.3.4'])).toEqual(UNKNOWN_SERVER);
    expect(capabilitiesFromHello('OK')).toEqual(UNKNOWN_SERVER);
  });
});

describe('weakestOf', () => {
  const valkey8 = capabilitiesFromInfo(info('redis_version:7.2.4', 'valkey_version:8.0.1'));
  const redis70 = capabilitiesFromInfo(info('redis_version:7.0.15'));

  it('a cluster mid-upgrade is treated as its oldest primary', () => {
    expect(weakestOf([valkey8, redis70, valkey8])).toMatchObject({
      server: 'redis',
      version: '7.0.15',
      idleCountsReadAttempts: false,
    });
  });

  it('nodes that agree: their answer; none at all: the conservative one', () => {
    expect(weakestOf([valkey8, valkey8])).toEqual(valkey8);
    expect(weakestOf([])).toEqual(UNKNOWN_SERVER);
  });
});

describe('markLiveArgs', () => {
  it('reads history after the highest id short of `>` (which the server spells as the highest id)', () => {
    expect(markLiveArgs('g', 'c', 'vq:{q}')).toEqual([
      'GROUP',
      'g',
      'c',
      'COUNT',
      '1',
      'STREAMS',
      'vq:{q}',
      '18446744073709551615-18446744073709551614',
    ]);
  });
});
