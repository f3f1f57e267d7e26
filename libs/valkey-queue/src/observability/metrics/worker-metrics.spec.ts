import { jest } from '@jest/globals';
import { WorkerMetrics } from './worker-metrics.js';

describe('WorkerMetrics', () => {
  afterEach(() => jest.useRealTimers());

  it('records the end-to-end latency of first attempts only, never below zero', () => {
    jest.useFakeTimers({ now: 10_000, doNotFake: ['performance'] });
    const metrics = new WorkerMetrics({ queue: 'orders', group: 'default', worker: 'OrdersWorker' });

    metrics.handlerStarted(7_500, 1); // 2.5 s after the send
    metrics.handlerStarted(1_000, 2); // a retry: its backoff is not queueing delay
    metrics.handlerStarted(12_000, 1); // the sender's clock is ahead: 0

    expect(metrics.latency.count).toBe(2);
    expect(metrics.latency.sum).toBe(2.5);
    expect(metrics.latency.counts[metrics.latency.bounds.indexOf(2.5)]).toBe(1);
    expect(metrics.latency.counts[0]).toBe(1);
  });

  it('times every handler run in seconds', () => {
    const metrics = new WorkerMetrics({ queue: 'orders', group: 'default', worker: 'OrdersWorker' });
    const startedAt = metrics.handlerStarted(Date.now(), 3);
    metrics.handlerFinished(startedAt - 20); // 20 ms earlier

    expect(metrics.duration.count).toBe(1);
    expect(metrics.duration.sum).toBeGreaterThanOrEqual(0.02);
    expect(metrics.duration.sum).toBeLessThan(1);
  });
});
