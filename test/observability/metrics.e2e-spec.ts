import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import * as prom from 'prom-client';
import {
  InvalidOptionsError,
  OnBroken,
  OnDead,
  OnMessage,
  QueueAdmin,
  QueueScheduler,
  QueueSender,
  QueueWorker,
  ValkeyQueueMetrics,
  type QueueMessage,
  type QueueStats,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { bootFailure, bootWorkers, keysOf, workerOf } from '../workers/worker-test-kit.js';
import { parseMetrics, pollUntil, valueOf, type Sample } from './metrics-text.js';

const WORK = `obs-work-${randomUUID()}`;
const BACKLOG = `obs-backlog-${randomUUID()}`;
const TICKS = `obs-ticks-${randomUUID()}`;

type Kind = 'ok' | 'flaky' | 'doom';

@QueueWorker(WORK, { autoStart: false, maxRetries: 1, backoff: 20 })
class WorkWorker {
  @OnMessage()
  async handle(message: QueueMessage<{ kind: Kind }>): Promise<void> {
    const { kind } = message.payload;
    if (kind === 'doom' || (kind === 'flaky' && message.attempt === 1)) throw new Error(`${kind} failed`);
  }

  @OnDead()
  async dead(): Promise<void> {}

  @OnBroken()
  async broken(): Promise<void> {}
}

describe('Prometheus metrics after a scripted workload (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule;
  let samples: Sample[];
  let stats: QueueStats;
  let metrics: ValkeyQueueMetrics;

  beforeAll(async () => {
    moduleRef = await bootWorkers(valkey().url, [WorkWorker], {
      metrics: { enabled: true },
      scheduler: { pollInterval: 50 },
    });
    const sender = moduleRef.get(QueueSender);
    const raw = rawClient(valkey().url);
    try {
      // 5 handled at once, 1 handled on its retry, 1 dead after 2 attempts, 1 expired before delivery.
      for (let n = 0; n < 4; n++) await sender.send(WORK, { kind: 'ok', n });
      await expect(sender.send(WORK, { kind: 'ok', n: 4 }, { dedupKey: 'once' })).resolves.toMatchObject({
        deduplicated: false,
      });
      await expect(sender.send(WORK, { kind: 'ok', n: 5 }, { dedupKey: 'once' })).resolves.toMatchObject({
        deduplicated: true,
      });
      await sender.send(WORK, { kind: 'flaky' });
      await sender.send(WORK, { kind: 'doom' });
      const expiring = Date.now();
      await sender.send(WORK, { kind: 'ok' }, { ttl: 1 });
      await pollUntil(
        async () => Date.now(),
        (now) => now > expiring + 5,
      );
      await expect(sender.send(WORK, 10n)).rejects.toMatchObject({ code: 'VQ_SERIALIZATION' });
      await raw.xadd(keysOf(WORK).stream, '*', 'not', 'an envelope'); // broken
      for (let n = 0; n < 3; n++) await sender.send(BACKLOG, { n }); // nobody consumes it
      await sender.send(BACKLOG, { n: 3 }, { priority: 7 }); // waits in a priority key of its own
      await moduleRef
        .get(QueueScheduler)
        .upsert({ name: TICKS, every: 50, limit: 1, queue: TICKS, payload: {} });

      await workerOf(moduleRef, WORK).start();
      const admin = moduleRef.get(QueueAdmin);
      stats = await pollUntil(
        () => admin.stats(WORK),
        (current) =>
          current.processed === 6 &&
          current.dead === 1 &&
          current.broken === 1 &&
          current.expired === 1 &&
          current.pending === 0 &&
          current.delayed === 0,
      );
      await pollUntil(
        () => raw.xlen(keysOf(TICKS).stream),
        (length) => length === 1,
      );
    } finally {
      await raw.quit();
    }
    metrics = moduleRef.get(ValkeyQueueMetrics);
    samples = parseMetrics(await metrics.metrics());
  });
  afterAll(async () => {
    await moduleRef?.close();
  });

  const worker = { queue: WORK, group: 'default', worker: 'WorkWorker' };

  it('counts what the senders did, per queue', () => {
    expect(valueOf(samples, 'valkey_queue_messages_sent_total', { queue: WORK })).toBe(8);
    expect(valueOf(samples, 'valkey_queue_messages_sent_total', { queue: BACKLOG })).toBe(4);
    expect(valueOf(samples, 'valkey_queue_messages_deduplicated_total', { queue: WORK })).toBe(1);
    expect(
      valueOf(samples, 'valkey_queue_send_errors_total', { queue: WORK, code: 'VQ_SERIALIZATION' }),
    ).toBe(1);
    expect(valueOf(samples, 'valkey_queue_send_retries_total', { queue: WORK })).toBe(0);
    expect(valueOf(samples, 'valkey_queue_breaker_rejections_total', { queue: WORK })).toBe(0);
  });

  it('counts every outcome of the worker, equal to the queue stats Valkey kept', () => {
    const counted = (name: string) => valueOf(samples, `valkey_queue_messages_${name}_total`, worker);
    expect({
      processed: counted('processed'),
      failed: counted('failed'),
      retried: counted('retried'),
      dead: counted('dead'),
      broken: counted('broken'),
      expired: counted('expired'),
    }).toEqual({ processed: 6, failed: 3, retried: 2, dead: 1, broken: 1, expired: 1 });
    expect(stats).toMatchObject({ processed: 6, failed: 3, retried: 2, dead: 1, broken: 1, expired: 1 });
  });

  it('times every handler run, and the latency of every first attempt', () => {
    expect(valueOf(samples, 'valkey_queue_handler_duration_seconds_count', worker)).toBe(9);
    expect(valueOf(samples, 'valkey_queue_handler_duration_seconds_bucket', { ...worker, le: '+Inf' })).toBe(
      9,
    );
    expect(valueOf(samples, 'valkey_queue_message_latency_seconds_count', worker)).toBe(7);
    expect(valueOf(samples, 'valkey_queue_message_latency_seconds_sum', worker)).toBeGreaterThan(0);
  });

  it('counts the schedule tick fired', () => {
    expect(valueOf(samples, 'valkey_queue_schedule_ticks_total', { queue: TICKS, schedule: TICKS })).toBe(1);
  });

  it('reads the queue gauges from Valkey on scrape, equal to QueueAdmin.stats(), over every priority', () => {
    expect(valueOf(samples, 'valkey_queue_queue_stats_up')).toBe(1);
    expect(valueOf(samples, 'valkey_queue_queue_length', { queue: WORK })).toBe(0);
    expect(valueOf(samples, 'valkey_queue_queue_pending', { queue: WORK, group: 'default' })).toBe(0);
    expect(valueOf(samples, 'valkey_queue_queue_lag', { queue: WORK, group: 'default' })).toBe(0);
    expect(valueOf(samples, 'valkey_queue_queue_dead_letters', { queue: WORK })).toBe(3);
    expect(stats.deadLetters).toBe(3);
    expect(valueOf(samples, 'valkey_queue_queue_delayed', { queue: WORK })).toBe(0);
    expect(valueOf(samples, 'valkey_queue_queue_length', { queue: BACKLOG })).toBe(4);
    expect(valueOf(samples, 'valkey_queue_sender_breaker_state', { state: 'closed' })).toBe(1);
  });

  it('never labels a series with a message id', () => {
    const labelNames = new Set(samples.flatMap((sample) => Object.keys(sample.labels)));
    expect([...labelNames].sort()).toEqual(['code', 'group', 'le', 'queue', 'schedule', 'state', 'worker']);
  });

  it('serves them from a registry of its own, in the Prometheus text format', () => {
    expect(metrics.enabled).toBe(true);
    expect(metrics.registry).toBeDefined();
    expect(metrics.registry).not.toBe(prom.register);
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

const QUIET = `obs-off-${randomUUID()}`;

@QueueWorker(QUIET)
class QuietWorker {
  readonly handled = deferred<QueueMessage>();

  @OnMessage()
  async handle(message: QueueMessage): Promise<void> {
    this.handled.resolve(message);
  }
}

describe('metrics turned off, or on a shared registry (real Valkey)', () => {
  const valkey = useValkey();

  it('creates nothing while off, even with a registry given, and queues still work', async () => {
    const registry = new prom.Registry();
    const globalBefore = prom.register.getMetricsAsArray().length;
    const moduleRef = await bootWorkers(valkey().url, [QuietWorker], {
      metrics: { enabled: false, registry },
    });
    try {
      await moduleRef.get(QueueSender).send(QUIET, { hello: 1 });
      await expect(moduleRef.get(QuietWorker).handled.promise).resolves.toMatchObject({
        payload: { hello: 1 },
      });

      const metrics = moduleRef.get(ValkeyQueueMetrics);
      expect(metrics.enabled).toBe(false);
      expect(metrics.registry).toBeUndefined();
      await expect(metrics.metrics()).resolves.toBe('');
      expect(registry.getMetricsAsArray()).toEqual([]);
      expect(prom.register.getMetricsAsArray()).toHaveLength(globalBefore);
    } finally {
      await moduleRef.close();
    }
  });

  it("registers in prom-client's global registry when given, and leaves it on close for the next app", async () => {
    const queue = `obs-shared-${randomUUID()}`;
    for (let round = 1; round <= 2; round++) {
      const moduleRef = await bootWorkers(valkey().url, [], {
        metrics: { enabled: true, registry: prom.register },
      });
      try {
        expect(moduleRef.get(ValkeyQueueMetrics).registry).toBe(prom.register);
        await moduleRef.get(QueueSender).send(queue, { round });
        const samples = parseMetrics(await prom.register.metrics());
        // A new app starts from zero: the counters belong to the module instance.
        expect(valueOf(samples, 'valkey_queue_messages_sent_total', { queue })).toBe(1);
      } finally {
        await moduleRef.close();
      }
      expect(prom.register.getSingleMetric('valkey_queue_messages_sent_total')).toBeUndefined();
    }
  });

  it('fails bootstrap with InvalidOptionsError when another module holds the names in the registry', async () => {
    const registry = new prom.Registry();
    const first = await bootWorkers(valkey().url, [], { metrics: { enabled: true, registry } });
    try {
      const error = await bootFailure(valkey().url, [], { metrics: { enabled: true, registry } });
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect(error.message).toContain('metrics.prefix');
      const other = await bootWorkers(valkey().url, [], {
        metrics: { enabled: true, registry, prefix: 'other_' },
      });
      await other.close();
    } finally {
      await first.close();
    }
  });
});
