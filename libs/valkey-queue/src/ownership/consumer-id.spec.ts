import { hostname } from 'node:os';
import { consumerId } from './consumer-id.js';

describe('consumerId', () => {
  it('keeps a configured id as is', () => {
    expect(consumerId('worker-1', { POD_NAME: 'pod-a' })).toBe('worker-1');
  });

  it('prefers POD_NAME, then POD_IP, then hostname-pid, each with a random suffix', () => {
    expect(consumerId(undefined, { POD_NAME: 'pod-a', POD_IP: '10.0.0.1' })).toMatch(/^pod-a-[0-9a-f]{6}$/);
    expect(consumerId(undefined, { POD_IP: '10.0.0.1' })).toMatch(/^10\.0\.0\.1-[0-9a-f]{6}$/);
    const fallback = consumerId(undefined, {});
    expect(fallback.startsWith(`${hostname()}-${process.pid}-`)).toBe(true);
    expect(fallback).toMatch(/-[0-9a-f]{6}$/);
  });

  it('gives two instances in one process different ids', () => {
    expect(consumerId(undefined, { POD_NAME: 'pod-a' })).not.toBe(
      consumerId(undefined, { POD_NAME: 'pod-a' }),
    );
  });
});
