import { validateOptions } from '../config/validate-options.js';
import { InsufficientReplicasError } from '../errors/insufficient-replicas.error.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { ValkeyQueueOptions } from '../interfaces/valkey-queue-options.interface.js';
import {
  mergeSenderOptions,
  resolveSenderDefaults,
  validateRegisterSenderOptions,
} from '../config/resolve-sender-options.js';
import { isInfrastructureError, isTransientError } from './transient-errors.js';

const paths = (run: () => unknown): string[] => {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidOptionsError);
  return (thrown as InvalidOptionsError).issues.map(({ path }) => path);
};

describe('sender durability option', () => {
  it('is off by default, kept when set, and a registered sender can turn it off with false', () => {
    expect(resolveSenderDefaults().durability).toBeUndefined();
    const defaults = resolveSenderDefaults({ durability: { replicas: 1, timeout: 500 } });
    expect(defaults.durability).toEqual({ replicas: 1, timeout: 500 });
    expect(mergeSenderOptions(defaults, { durability: false }).durability).toBe(false);
    expect(validateOptions({ connection: {}, sender: { durability: false } }).sender.durability).toBe(false);
  });

  it.each([
    [{ replicas: 0, timeout: 100 }, 'sender.durability.replicas'],
    [{ replicas: 1.5, timeout: 100 }, 'sender.durability.replicas'],
    [{ replicas: 1 }, 'sender.durability.timeout'],
    [{ replicas: 1, timeout: 10_000 }, 'sender.durability.timeout'], // not below the default send timeout
    [{ replicas: 1, timeout: 100, extra: 1 }, 'sender.durability.extra'],
    ['yes', 'sender.durability'],
  ])('rejects durability %j', (durability, path) => {
    expect(
      paths(() => validateOptions({ connection: {}, sender: { durability } } as ValkeyQueueOptions)),
    ).toContain(path);
  });

  it('checks registerSender() options the same way', () => {
    expect(
      paths(() =>
        validateRegisterSenderOptions({ name: 'q', timeout: 200, durability: { replicas: 1, timeout: 200 } }),
      ),
    ).toEqual(['registerSender.durability.timeout']);
  });

  it('treats too few replicas as transient (retried: the marker makes the retry write nothing new)', () => {
    const error = new InsufficientReplicasError('q', ['id'], 1, 0);
    expect(error.code).toBe('VQ_INSUFFICIENT_REPLICAS');
    expect(isTransientError(error)).toBe(true);
    expect(isInfrastructureError(error)).toBe(true);
  });
});
