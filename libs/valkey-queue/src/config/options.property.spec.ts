import fc from 'fast-check';
import { parseDeadLetterPage, parseRedriveRequest } from '../admin/admin-input.js';
import { ConfigError } from '../errors/config.error.js';
import { InvalidAdminArgumentError } from '../errors/invalid-admin-argument.error.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { parseDuration } from './env-parsers.js';
import { loadValkeyQueueOptionsFromEnv } from './load-options-from-env.js';
import { validateOptions } from './validate-options.js';

const SEED = 20;
const SECRET = 'pr0perty-secret';

/** Runs `action`; true if it returned or threw one of `allowed`. */
const throwsOnly =
  (...allowed: (abstract new (...args: never[]) => Error)[]) =>
  (action: () => unknown): boolean => {
    try {
      action();
      return true;
    } catch (error) {
      return allowed.some((type) => error instanceof type);
    }
  };

/** Any JSON-ish value, and the odd values options meet (functions, NaN, Infinity, huge numbers). */
const anyValue = fc.oneof(
  fc.anything(),
  fc.constantFrom(NaN, Infinity, -1, 0, 2 ** 53, '', ' ', () => 1, null, undefined),
);

describe('option validation, env parsing and admin inputs (properties)', () => {
  it('module options: any value anywhere is accepted or refused with InvalidOptionsError that never shows the password', () => {
    const connection = fc.dictionary(
      fc.constantFrom(
        'url',
        'host',
        'port',
        'db',
        'username',
        'password',
        'tls',
        'sentinels',
        'name',
        'nodes',
        'connectTimeout',
        'pasword',
      ),
      anyValue,
    );
    fc.assert(
      fc.property(
        connection,
        // Sections are objects (a `null` section throws a TypeError: typed callers cannot pass one).
        fc.dictionary(
          fc.constantFrom('worker', 'sender', 'scheduler', 'ownership'),
          fc.dictionary(fc.string(), anyValue),
        ),
        (raw, rest) => {
          const options = { ...rest, connection: { ...raw, password: SECRET } } as never;
          try {
            validateOptions(options);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidOptionsError);
            expect((error as Error).message).not.toContain(SECRET);
            expect(JSON.stringify(error)).not.toContain(SECRET);
          }
        },
      ),
      { seed: SEED, numRuns: 1_000 },
    );
  });

  it('environment: any text in any variable is read or refused with ConfigError that never shows the password', () => {
    const name = fc.constantFrom(
      'URL',
      'HOST',
      'PORT',
      'DATABASE',
      'SENTINELS',
      'CLUSTER_NODES',
      'CONNECT_TIMEOUT',
      'LAZY_CONNECT',
      'TLS_ENABLED',
      'SCHEDULER_POLL_INTERVAL',
      'TLS_SKIP_VERIFY',
    );
    fc.assert(
      fc.property(fc.dictionary(name, fc.string()), (values) => {
        const env: Record<string, string> = { VALKEY_QUEUE_PASSWORD: SECRET };
        for (const [variable, value] of Object.entries(values)) env[`VALKEY_QUEUE_${variable}`] = value;
        try {
          loadValkeyQueueOptionsFromEnv(env);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).not.toContain(SECRET);
        }
      }),
      { seed: SEED, numRuns: 1_000 },
    );
  });

  it('durations: any text is a positive whole number of ms or a ConfigError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\d{1,20}(\.\d{0,5})?(ms|s|m|h)?$/)), (text) => {
        try {
          const ms = parseDuration('VALKEY_QUEUE_X', text);
          expect(Number.isSafeInteger(ms) && ms > 0).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('admin inputs: any options object is read or refused with InvalidAdminArgumentError', () => {
    const options = fc.oneof(
      fc.constant(undefined),
      fc.dictionary(
        fc.constantFrom('count', 'cursor', 'ids', 'transport', 'reason', 'labels', 'other'),
        anyValue,
      ),
    );
    const allowed = throwsOnly(InvalidAdminArgumentError);
    fc.assert(
      fc.property(options, (given) => {
        expect(allowed(() => parseDeadLetterPage(given as never))).toBe(true);
        expect(allowed(() => parseRedriveRequest(given as never))).toBe(true);
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });
});
