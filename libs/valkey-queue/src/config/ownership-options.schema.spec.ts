import { validateOptions } from './validate-options.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { OwnershipOptions } from '../interfaces/ownership-options.interface.js';

const withOwnership = (ownership: unknown) =>
  validateOptions({ connection: { host: 'localhost' }, ownership: ownership as OwnershipOptions });

describe('ownership options', () => {
  it('is undefined (inert service) when not configured', () => {
    expect(validateOptions({ connection: { host: 'localhost' } }).ownership).toBeUndefined();
  });

  it('derives every default from leaseTtl', () => {
    expect(withOwnership({ service: 'sessions' }).ownership).toEqual({
      service: 'sessions',
      leaseTtl: 15_000,
      heartbeatInterval: 5_000,
      sweepInterval: 15_000,
      recoveryIdle: 30_000,
      recoveryCount: 100,
    });
    expect(withOwnership({ service: 's', leaseTtl: 3_000, consumer: 'pod-a' }).ownership).toEqual({
      service: 's',
      leaseTtl: 3_000,
      heartbeatInterval: 1_000,
      sweepInterval: 3_000,
      recoveryIdle: 6_000,
      recoveryCount: 100,
      consumer: 'pod-a',
    });
  });

  it('keeps given values', () => {
    const given = {
      service: 's',
      leaseTtl: 9_000,
      heartbeatInterval: 2_000,
      sweepInterval: 500,
      recoveryIdle: 4_000,
      recoveryCount: 7,
    };
    expect(withOwnership(given).ownership).toEqual(given);
  });

  it.each([
    [{}, 'ownership.service'],
    [{ service: 'a{b}' }, 'ownership.service'],
    [{ service: 'a b' }, 'ownership.service'],
    [{ service: 's', leaseTtl: 2_999 }, 'ownership.leaseTtl'],
    [{ service: 's', leaseTtl: '15s' }, 'ownership.leaseTtl'],
    [{ service: 's', heartbeatInterval: 0 }, 'ownership.heartbeatInterval'],
    [{ service: 's', recoveryCount: 0 }, 'ownership.recoveryCount'],
    [{ service: 's', consumer: 'has space' }, 'ownership.consumer'],
    [{ service: 's', unknown: 1 }, 'ownership.unknown'],
  ])('rejects %j at %s', (ownership, path) => {
    expect(() => withOwnership(ownership)).toThrow(InvalidOptionsError);
    expect(() => withOwnership(ownership)).toThrow(path);
  });

  it('requires leaseTtl > 2 x heartbeatInterval (as the Go library does)', () => {
    expect(() => withOwnership({ service: 's', leaseTtl: 10_000, heartbeatInterval: 5_000 })).toThrow(
      /ownership\.heartbeatInterval = 5000: less than half of leaseTtl \(10000\)/,
    );
    expect(() => withOwnership({ service: 's', leaseTtl: 10_001, heartbeatInterval: 5_000 })).not.toThrow();
  });
});
