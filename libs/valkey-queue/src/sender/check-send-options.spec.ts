import { InvalidSendOptionsError } from '../errors/invalid-send-options.error.js';
import { checkSendOptions } from './check-send-options.js';
import type { SendOptions } from '../interfaces/send-options.interface.js';

const NOW = 1_700_000_000_000;
const check = (options: unknown, kind: 'send' | 'sendBatch' = 'send') =>
  checkSendOptions(options as SendOptions, kind, NOW);

describe('checkSendOptions', () => {
  it('accepts no options', () => {
    expect(check(undefined)).toEqual({});
  });

  it('normalizes valid options to whole milliseconds', () => {
    const signal = new AbortController().signal;
    expect(
      check({
        delay: 10.2,
        ttl: 100,
        dedupKey: 'k',
        dedupTtl: 5_000,
        headers: { a: 'b' },
        signal,
        timeout: 250,
      }),
    ).toEqual({
      delay: 11,
      ttl: 100,
      dedupKey: 'k',
      dedupTtl: 5_000,
      headers: { a: 'b' },
      signal,
      timeout: 250,
    });
  });

  it('turns a future `at` into a due time and a past one into "now"', () => {
    expect(check({ at: new Date(NOW + 5_000) })).toEqual({ dueAt: NOW + 5_000 });
    expect(check({ at: new Date(NOW - 5_000) })).toEqual({});
    expect(check({ at: new Date(NOW) })).toEqual({});
  });

  it('takes a priority of 1..10; 0 is the default and writes nothing', () => {
    expect(check({ priority: 0 })).toEqual({});
    expect(check({ priority: 1 })).toEqual({ priority: 1 });
    expect(check({ priority: 10 })).toEqual({ priority: 10 });
  });

  it.each([-1, 11, 1.5, NaN, Infinity, '3', null, true])(
    'refuses priority %p, naming the field',
    (priority) => {
      expect(() => check({ priority: priority as number })).toThrow(
        expect.objectContaining({ code: 'VQ_INVALID_SEND_OPTIONS', option: 'priority' }),
      );
    },
  );

  it.each([
    ['not an object', 'fast', 'options'],
    ['an array', [], 'options'],
    ['an unknown field', { dealy: 5 }, 'dealy'],
    ['delay 0', { delay: 0 }, 'delay'],
    ['a negative delay', { delay: -1 }, 'delay'],
    ['a NaN delay', { delay: NaN }, 'delay'],
    ['an infinite delay', { delay: Infinity }, 'delay'],
    ['a string delay', { delay: '5' }, 'delay'],
    ['a huge delay', { delay: 2 ** 60 }, 'delay'],
    ['ttl 0', { ttl: 0 }, 'ttl'],
    ['a negative ttl', { ttl: -10 }, 'ttl'],
    ['an `at` that is no Date', { at: '2030-01-01' }, 'at'],
    ['an invalid Date', { at: new Date(NaN) }, 'at'],
    ['delay with at', { delay: 5, at: new Date(NOW + 1) }, 'at'],
    ['a ttl not longer than the delay', { delay: 100, ttl: 100 }, 'ttl'],
    ['a ttl shorter than the wait until `at`', { at: new Date(NOW + 1_000), ttl: 500 }, 'ttl'],
    ['an empty dedupKey', { dedupKey: '' }, 'dedupKey'],
    ['a numeric dedupKey', { dedupKey: 5 }, 'dedupKey'],
    ['a dedupKey over 1024 characters', { dedupKey: 'k'.repeat(1_025) }, 'dedupKey'],
    ['dedupTtl without dedupKey', { dedupTtl: 100 }, 'dedupTtl'],
    ['dedupTtl 0', { dedupKey: 'k', dedupTtl: 0 }, 'dedupTtl'],
    ['headers with a number', { headers: { a: 1 } }, 'headers'],
    ['headers as an array', { headers: ['a'] }, 'headers'],
    ['a signal that is not one', { signal: { aborted: false } }, 'signal'],
    ['timeout 0', { timeout: 0 }, 'timeout'],
    ['labels that are not an object', { labels: 'tenant=acme' }, 'labels'],
    ['labels as an array', { labels: ['acme'] }, 'labels'],
    ['labels as null', { labels: null }, 'labels'],
    [
      'more than 16 labels',
      { labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
      'labels',
    ],
    ['an upper-case label key', { labels: { Tenant: 'acme' } }, 'labels'],
    ['a label key with a space', { labels: { 'a b': 'x' } }, 'labels'],
    ['an empty label key', { labels: { '': 'x' } }, 'labels'],
    ['a label key over 64 characters', { labels: { ['k'.repeat(65)]: 'x' } }, 'labels'],
    ['a numeric label value', { labels: { tenant: 5 } }, 'labels.tenant'],
    ['a label value over 256 bytes', { labels: { tenant: 'a'.repeat(257) } }, 'labels.tenant'],
    [
      'a label value over 256 UTF-8 bytes in 129 characters',
      { labels: { tenant: 'é'.repeat(129) } },
      'labels.tenant',
    ],
  ])('refuses %s', (_, options, option) => {
    let thrown: unknown;
    try {
      check(options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidSendOptionsError);
    expect(thrown).toMatchObject({ code: 'VQ_INVALID_SEND_OPTIONS', option });
  });

  it.each([
    [{ labels: [] }, /an object of string values/],
    [
      { labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
      /at most 16 labels/,
    ],
    [{ labels: { 'k!': 'v' } }, /keys of 1-64 characters from \[a-z0-9_.-\]/],
    [{ labels: { k: 1 } }, /labels\.k = 1: expected a string/],
    [{ labels: { k: 'é'.repeat(129) } }, /at most 256 UTF-8 bytes/],
  ])('says which label rule %j breaks', (options, message) => {
    expect(() => check(options)).toThrow(message);
  });

  it('accepts labels at the limits, as a copy, and drops an empty set', () => {
    const labels = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k.${i}_-`, 'é'.repeat(128)]));
    labels['k'.repeat(64)] = labels['k.0_-'];
    delete labels['k.0_-'];
    const checked = check({ labels });
    expect(checked).toEqual({ labels });
    expect(checked.labels).not.toBe(labels);
    expect(check({ labels: {} })).toEqual({});
  });

  it('refuses a dedupKey in sendBatch', () => {
    expect(() => check({ dedupKey: 'k' }, 'sendBatch')).toThrow(/use send\(\) per message/);
  });
});
