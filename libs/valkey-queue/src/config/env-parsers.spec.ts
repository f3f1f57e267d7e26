import { ConfigError } from '../errors/config.error.js';
import { parseAddressList, parseBoolean, parseDuration, parseEnum, parseInteger } from './env-parsers.js';

describe('env parsers', () => {
  describe('parseDuration', () => {
    it.each([
      ['500ms', 500],
      ['5s', 5_000],
      ['1.5s', 1_500],
      ['2m', 120_000],
      ['1h', 3_600_000],
      ['250', 250],
      [' 10s ', 10_000],
    ])('reads %p as %p ms', (raw, expected) => {
      expect(parseDuration('VAR', raw)).toBe(expected);
    });

    it.each(['', 's', '5x', '-1s', '0', '0ms', '1d', '5 s', 'abc', '0.0001ms'])(
      'rejects %p naming the variable',
      (raw) => {
        expect(() => parseDuration('VALKEY_QUEUE_CONNECT_TIMEOUT', raw)).toThrow(ConfigError);
        expect(() => parseDuration('VALKEY_QUEUE_CONNECT_TIMEOUT', raw)).toThrow(
          /^VALKEY_QUEUE_CONNECT_TIMEOUT: expected a positive duration like 500ms, 5s, 2m or 1h/,
        );
      },
    );
  });

  describe('parseInteger', () => {
    it('accepts whole numbers inside the range', () => {
      expect(parseInteger('V', '6380', 1, 65_535)).toBe(6380);
      expect(parseInteger('V', '0', 0)).toBe(0);
      expect(parseInteger('V', '1000', 0)).toBe(1000);
    });

    it.each(['', '1.5', '12abc', '0x10', '70000', '-1'])('rejects %p', (raw) => {
      expect(() => parseInteger('VALKEY_QUEUE_PORT', raw, 0, 65_535)).toThrow(
        /^VALKEY_QUEUE_PORT: expected a whole number/,
      );
    });
  });

  describe('parseBoolean', () => {
    it.each([
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['yes', true],
      ['on', true],
      ['false', false],
      ['0', false],
      ['No', false],
      ['off', false],
    ])('reads %p as %p', (raw, expected) => {
      expect(parseBoolean('V', raw)).toBe(expected);
    });

    it.each(['', 'truthy', '2', 'enabled'])('rejects %p', (raw) => {
      expect(() => parseBoolean('VALKEY_QUEUE_TLS_ENABLED', raw)).toThrow(
        /^VALKEY_QUEUE_TLS_ENABLED: expected true or false/,
      );
    });
  });

  describe('parseEnum', () => {
    it('accepts a listed word and rejects others', () => {
      expect(parseEnum('V', 'list', ['stream', 'list'] as const)).toBe('list');
      expect(() => parseEnum('VALKEY_QUEUE_TRANSPORT', 'kafka', ['stream', 'list'] as const)).toThrow(
        'VALKEY_QUEUE_TRANSPORT: expected one of stream, list, got "kafka"',
      );
    });
  });

  describe('parseAddressList', () => {
    it('reads host:port lists, IPv6 in brackets', () => {
      expect(parseAddressList('V', 'a:26379, b:26380,[::1]:7000')).toEqual([
        { host: 'a', port: 26379 },
        { host: 'b', port: 26380 },
        { host: '::1', port: 7000 },
      ]);
    });

    it.each(['', ',', 'host', 'host:', 'host:99999', 'host:port'])('rejects %p', (raw) => {
      expect(() => parseAddressList('VALKEY_QUEUE_SENTINELS', raw)).toThrow(
        /^VALKEY_QUEUE_SENTINELS: expected/,
      );
    });
  });
});
