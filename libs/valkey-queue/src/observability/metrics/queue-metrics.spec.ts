import { jest } from '@jest/globals';
import * as prom from 'prom-client';
import type { ValkeyClient } from '../../connection/create-client.js';
import { InvalidOptionsError } from '../../errors/invalid-options.error.js';
import type { BreakerState } from '../../interfaces/sender-options.interface.js';
import type { PromClient } from './load-prom-client.js';
import { metricNames, QueueMetrics } from './queue-metrics.js';

/**
 * A client whose pipeline answers every queue's 7 stats commands with fixed replies, and whose
 * queues have no raised-priority keys.
 */
function fakeClient(fail = false) {
  let commands = 0;
  const exec = jest.fn(async () => {
    if (fail) throw new Error('connection is closed');
    const group = ['name', 'g1', 'consumers', 1, 'pending', 2, 'last-delivered-id', '5-0', 'lag', 3];
    const replies = Array.from({ length: commands / 7 }, () =>
      [9, [group], 4, { processed: '7' }, 6, 0, 0].map((reply) => [null, reply]),
    ).flat();
    commands = 0;
    return replies;
  });
  const pipeline: Record<string, unknown> = { exec };
  for (const name of ['xlen', 'xinfo', 'hgetall', 'zcard', 'exists', 'llen']) {
    pipeline[name] = () => {
      commands += 1;
      return pipeline;
    };
  }
  const vqExistingKeys = async (count: number) => Array.from({ length: count }, () => 0);
  const client = { isCluster: false, pipeline: () => pipeline, vqExistingKeys } as unknown as ValkeyClient;
  return { client, exec };
}

function create(options: { registry?: prom.Registry; fail?: boolean; breaker?: BreakerState } = {}) {
  const registry = options.registry ?? new prom.Registry();
  const { client, exec } = fakeClient(options.fail);
  const metrics = new QueueMetrics(
    prom as unknown as PromClient,
    { enabled: true, prefix: 'vq_', registry: registry as never },
    { client, keyPrefix: 'vq', breaker: () => options.breaker ?? 'closed', timeoutMs: 1_000 },
    () => ['orders'],
  );
  return { metrics, registry, exec };
}

describe('QueueMetrics', () => {
  it('registers every metric under the prefix, and close() removes them all', () => {
    const { metrics, registry } = create();
    const names = registry.getMetricsAsArray().map(({ name }) => name);
    expect(names.sort()).toEqual(metricNames('vq_').sort());
    metrics.close();
    expect(registry.getMetricsAsArray()).toEqual([]);
  });

  it('exposes what the cells counted, and reads the gauges with one round trip per scrape', async () => {
    const { metrics, registry, exec } = create();
    const worker = metrics.worker({ queue: 'orders', group: 'g1', worker: 'OrdersWorker' });
    worker.processed.inc(3);
    worker.failed.inc();
    worker.handlerFinished(worker.handlerStarted(Date.now() - 2_000, 1));
    metrics.sender.sent('orders', 4);
    metrics.sender.error('orders', new Error('boom'));
    metrics.scheduleFired('reports', 'nightly', 2);

    const text = await registry.metrics();

    expect(exec).toHaveBeenCalledTimes(1);
    const lines = text.split('\n');
    const labels = 'queue="orders",group="g1",worker="OrdersWorker"';
    expect(lines).toEqual(
      expect.arrayContaining([
        `vq_messages_processed_total{${labels}} 3`,
        `vq_messages_failed_total{${labels}} 1`,
        `vq_messages_dead_total{${labels}} 0`,
        `vq_handler_duration_seconds_count{${labels}} 1`,
        `vq_message_latency_seconds_bucket{le="1",${labels}} 0`.replace(
          `le="1",${labels}`,
          `${labels},le="1"`,
        ),
        `vq_message_latency_seconds_count{${labels}} 1`,
        'vq_messages_sent_total{queue="orders"} 4',
        'vq_send_errors_total{queue="orders",code="UNKNOWN"} 1',
        'vq_schedule_ticks_total{queue="reports",schedule="nightly"} 2',
        'vq_queue_length{queue="orders"} 3',
        'vq_queue_pending{queue="orders",group="g1"} 2',
        'vq_queue_lag{queue="orders",group="g1"} 3',
        'vq_queue_dead_letters{queue="orders"} 4',
        'vq_queue_delayed{queue="orders"} 6',
        'vq_queue_stats_up 1',
        'vq_sender_breaker_state{state="closed"} 1',
        'vq_sender_breaker_state{state="open"} 0',
      ]),
    );
    await registry.metrics();
    expect(exec).toHaveBeenCalledTimes(2);
  });

  it('reports queue_stats_up 0 and no queue gauges when Valkey cannot be read, and still serves the rest', async () => {
    const { metrics, registry } = create({ fail: true, breaker: 'disabled' });
    metrics.sender.sent('orders', 1);

    const lines = (await registry.metrics()).split('\n');

    expect(lines).toContain('vq_queue_stats_up 0');
    expect(lines).toContain('vq_messages_sent_total{queue="orders"} 1');
    expect(lines.filter((line) => /^vq_(queue_length|sender_breaker_state)\{/.test(line))).toEqual([]);
  });

  it('refuses a registry where the names are taken (two modules on one registry)', () => {
    const registry = new prom.Registry();
    create({ registry });
    expect(() => create({ registry })).toThrow(InvalidOptionsError);
    expect(() => create({ registry })).toThrow(/vq_\w+ is already registered/);
  });
});
