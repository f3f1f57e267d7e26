import { validateOptions } from './validate-options.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { InvalidQueueNameError } from '../errors/invalid-queue-name.error.js';
import type { ValkeyQueueOptions } from '../interfaces/valkey-queue-options.interface.js';
import {
  assertMergedSenderOptions,
  mergeSenderOptions,
  resolveSenderDefaults,
  SENDER_DEFAULTS,
  validateRegisterSenderOptions,
} from './resolve-sender-options.js';

const invalid = (sender: unknown): InvalidOptionsError => {
  let thrown: unknown;
  try {
    validateOptions({ connection: {}, sender } as ValkeyQueueOptions);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidOptionsError);
  return thrown as InvalidOptionsError;
};

describe('sender options', () => {
  it('applies the documented defaults', () => {
    expect(validateOptions({ connection: {} }).sender).toEqual(SENDER_DEFAULTS);
    expect(SENDER_DEFAULTS).toMatchObject({
      transport: 'stream',
      maxPayloadBytes: 1_048_576,
      chunkSize: 1_000,
      idempotencyWindow: 60_000,
      maxRetries: 3,
      rateLimit: false,
      circuitBreaker: { mode: 'consecutive', threshold: 4, halfOpenAfter: 60_000 },
      statusWindow: 60_000,
    });
  });

  it('keeps the rate limiter off unless set, and fills an opted-in one with valkeysender values', () => {
    expect(resolveSenderDefaults({}).rateLimit).toBe(false);
    expect(resolveSenderDefaults({ rateLimit: {} }).rateLimit).toEqual({ perSecond: 1_000, burst: 2_000 });
    expect(resolveSenderDefaults({ rateLimit: { perSecond: 50 } }).rateLimit).toEqual({
      perSecond: 50,
      burst: 2_000,
    });
  });

  it('defaults the ratio threshold to 0.5 in ratio mode and keeps given fields', () => {
    expect(
      resolveSenderDefaults({ circuitBreaker: { mode: 'ratio', halfOpenAfter: 5_000 } }).circuitBreaker,
    ).toEqual({
      mode: 'ratio',
      threshold: 0.5,
      window: 30_000,
      minimumRps: 5,
      halfOpenAfter: 5_000,
    });
    expect(resolveSenderDefaults({ rateLimit: false, circuitBreaker: false })).toMatchObject({
      rateLimit: false,
      circuitBreaker: false,
    });
  });

  it('accepts functions and codecs', () => {
    const codec = { encode: (value: unknown) => String(value), decode: (text: string) => text };
    const resolved = validateOptions({
      connection: {},
      sender: {
        codec,
        queueNamer: (queue) => `queue:${queue}`,
        onSent: () => undefined,
        onError: () => undefined,
      },
    }).sender;
    expect(resolved.codec).toBe(codec);
    expect(resolved.queueNamer?.('x')).toBe('queue:x');
  });

  it('lists every invalid sender field', () => {
    const error = invalid({
      transport: 'kafka',
      maxRetries: 1.5,
      chunkSize: 20_000,
      codec: { encode: 'no' },
      headers: { n: 1 },
      rateLimit: { perSecond: 0 },
      circuitBreaker: { mode: 'sometimes' },
      onSent: 'not a function',
      typo: true,
    });
    const paths = error.issues.map(({ path }) => path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'sender.transport',
        'sender.maxRetries',
        'sender.chunkSize',
        'sender.codec',
        'sender.headers',
        'sender.rateLimit.perSecond',
        'sender.circuitBreaker.mode',
        'sender.onSent',
        'sender.typo',
      ]),
    );
  });

  it.each([
    [{ maxLen: 10, maxAge: 1_000 }, 'sender.maxAge'],
    [{ retryBackoff: { initialDelay: 5_000, maxDelay: 100 } }, 'sender.retryBackoff.initialDelay'],
    [{ circuitBreaker: { threshold: 1.5 } }, 'sender.circuitBreaker.threshold'],
    [{ circuitBreaker: { mode: 'ratio', threshold: 1 } }, 'sender.circuitBreaker.threshold'],
    [{ rateLimit: true }, 'sender.rateLimit'],
  ])('checks rules across fields: %j', (sender, path) => {
    expect(invalid(sender).issues.map((issue) => issue.path)).toContain(path);
  });

  it('merges a registration over the defaults, nested objects field by field', () => {
    const base = resolveSenderDefaults({ headers: { app: 'a' }, rateLimit: { perSecond: 10, burst: 20 } });
    const merged = mergeSenderOptions(base, {
      transport: 'list',
      headers: { kind: 'k' },
      retryBackoff: { maxDelay: 500 },
      rateLimit: { burst: 5 },
    });
    expect(merged).toMatchObject({
      transport: 'list',
      headers: { app: 'a', kind: 'k' },
      retryBackoff: { initialDelay: 100, maxDelay: 500 },
      rateLimit: { perSecond: 10, burst: 5 },
      maxRetries: 3,
    });
    expect(mergeSenderOptions(base, { rateLimit: false }).rateLimit).toBe(false);
  });

  it('validates registrations', () => {
    expect(() => validateRegisterSenderOptions({ name: 'orders', transport: 'list', ttl: 5 })).not.toThrow();
    expect(() => validateRegisterSenderOptions({ name: 'a}b' })).toThrow(InvalidQueueNameError);
    expect(() => validateRegisterSenderOptions({ name: 7 } as never)).toThrow(/registerSender\.name/);
    expect(() => validateRegisterSenderOptions(null as never)).toThrow(InvalidOptionsError);
    expect(() => validateRegisterSenderOptions({ name: 'x', circuitBreaker: false } as never)).toThrow(
      /registerSender\.circuitBreaker/,
    );
  });
});

describe('idempotencyWindow versus timeout', () => {
  it('refuses a marker window shorter than the send timeout, but allows 0', () => {
    expect(invalid({ idempotencyWindow: 5_000 }).issues.map(({ path }) => path)).toContain(
      'sender.idempotencyWindow',
    );
    expect(invalid({ idempotencyWindow: 20_000, timeout: 30_000 }).issues.map(({ path }) => path)).toContain(
      'sender.idempotencyWindow',
    );
    expect(() => validateOptions({ connection: {}, sender: { idempotencyWindow: 0 } })).not.toThrow();
    expect(() => validateOptions({ connection: {}, sender: { idempotencyWindow: 10_000 } })).not.toThrow();
  });

  it('checks a registration merged over the module defaults', () => {
    const merged = mergeSenderOptions(resolveSenderDefaults({}), { timeout: 120_000 });
    expect(() => assertMergedSenderOptions(merged, 'slow')).toThrow(
      /registerSender\("slow"\)\.idempotencyWindow/,
    );
    expect(() =>
      assertMergedSenderOptions(mergeSenderOptions(resolveSenderDefaults({}), { timeout: 5_000 }), 'ok'),
    ).not.toThrow();
  });
});

describe('listFormat', () => {
  it("is valkeysender's only on the list transport", () => {
    expect(invalid({ listFormat: 'valkeysender' }).message).toMatch(/sender\.listFormat/);
    expect(invalid({ listFormat: 'protobuf' }).message).toMatch(/sender\.listFormat/);
    expect(
      validateOptions({ connection: {}, sender: { transport: 'list', listFormat: 'valkeysender' } }).sender
        .listFormat,
    ).toBe('valkeysender');
  });

  it('checks a registration against the transport it inherits', () => {
    const listDefaults = resolveSenderDefaults({ transport: 'list' });
    expect(() =>
      assertMergedSenderOptions(mergeSenderOptions(listDefaults, { listFormat: 'valkeysender' }), 'legacy'),
    ).not.toThrow();
    const streamDefaults = resolveSenderDefaults({});
    expect(() =>
      assertMergedSenderOptions(mergeSenderOptions(streamDefaults, { listFormat: 'valkeysender' }), 'legacy'),
    ).toThrow(/registerSender\("legacy"\)\.listFormat/);
  });
});
