import { Registry } from 'prom-client';
import { CellHistogram, CounterCell, HistogramCell } from './metric-cells.js';

describe('metric cells', () => {
  it('counts into a counter cell', () => {
    const cell = new CounterCell();
    cell.inc();
    cell.inc(4);
    expect(cell.value).toBe(5);
  });

  it('puts each value in the first bucket whose bound is not below it, and keeps sum and count', () => {
    const cell = new HistogramCell([0.1, 1, 10]);
    for (const value of [0.05, 0.1, 0.5, 10, 99]) cell.observe(value);
    expect(cell.counts).toEqual([2, 1, 1]); // 99 is only in +Inf
    expect(cell.count).toBe(5);
    expect(cell.sum).toBeCloseTo(109.65);
    cell.reset();
    expect([cell.counts, cell.sum, cell.count]).toEqual([[0, 0, 0], 0, 0]);
  });

  it('exposes a cell histogram through a prom-client registry in the Prometheus format', async () => {
    const registry = new Registry();
    const cell = new HistogramCell([0.1, 1]);
    cell.observe(0.05);
    cell.observe(0.5);
    cell.observe(5);
    const histogram = new CellHistogram('test_seconds', 'A test histogram', () => [
      { labels: { queue: 'orders' }, cell },
    ]);
    registry.registerMetric(histogram as never);

    const text = await registry.metrics();

    expect(text.split('\n')).toEqual([
      '# HELP test_seconds A test histogram',
      '# TYPE test_seconds histogram',
      'test_seconds_bucket{queue="orders",le="0.1"} 1',
      'test_seconds_bucket{queue="orders",le="1"} 2',
      'test_seconds_bucket{queue="orders",le="+Inf"} 3',
      'test_seconds_sum{queue="orders"} 5.55',
      'test_seconds_count{queue="orders"} 3',
      '',
    ]);
    registry.resetMetrics();
    expect(cell.count).toBe(0);
  });
});
