import { healthOf } from './sender-status.js';

describe('healthOf (contract item 57)', () => {
  it.each([
    [0, 'closed', true, 'healthy'],
    [0.1, 'closed', true, 'healthy'],
    [0.11, 'closed', true, 'degraded'],
    [0, 'half-open', true, 'degraded'],
    [0.5, 'closed', true, 'degraded'],
    [0.51, 'closed', true, 'unhealthy'],
    [0, 'open', true, 'unhealthy'],
    [0, 'closed', false, 'unhealthy'],
    [0, 'disabled', true, 'healthy'],
  ] as const)('ratio %s, breaker %s, ping %s -> %s', (ratio, breaker, ping, expected) => {
    expect(healthOf(ratio, breaker, ping)).toBe(expected);
  });
});
