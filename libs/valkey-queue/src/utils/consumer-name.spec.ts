import { hostname } from 'node:os';
import { consumerName } from './consumer-name.js';

describe('consumerName', () => {
  it('uses a configured name, as stable', () => {
    expect(consumerName('worker-a', { POD_NAME: 'pod' })).toEqual({ name: 'worker-a', stable: true });
  });

  it('prefers POD_NAME, then POD_IP (stable across restarts of the pod)', () => {
    expect(consumerName(undefined, { POD_NAME: 'orders-7d9f', POD_IP: '10.0.0.4' })).toEqual({
      name: 'orders-7d9f',
      stable: true,
    });
    expect(consumerName(undefined, { POD_IP: '10.0.0.4' })).toEqual({ name: '10.0.0.4', stable: true });
    expect(consumerName(undefined, { POD_NAME: '  ', POD_IP: '10.0.0.4' }).name).toBe('10.0.0.4');
  });

  it('otherwise is <hostname>-<pid>-<random>, unique per call', () => {
    const first = consumerName(undefined, {});
    const second = consumerName(undefined, {});
    expect(first.stable).toBe(false);
    expect(first.name).toMatch(
      new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${process.pid}-[0-9a-f]{6}$`),
    );
    expect(first.name).not.toBe(second.name);
  });
});
