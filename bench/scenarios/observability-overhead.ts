import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { BullMQOtel } from 'bullmq-otel';
import type { ValkeyQueueOptions } from 'nestjs-valkey-queue';
import { openBullQueue } from '../contenders/bullmq.contender.js';
import { bullWorker } from '../contenders/bullmq-worker.contender.js';
import { countdown } from '../contenders/countdown.js';
import { startWorkerApp, waitUntilAcked } from '../contenders/queue-worker.contender.js';
import { openRawClient } from '../contenders/raw-ioredis.contender.js';
import { orderPayloads } from '../payloads.js';
import { defineScenario, type Contender } from '../scenario.js';

/**
 * What observability costs end to end: the same app sends `size` messages (64 callers in flight)
 * while its worker (concurrency 100) consumes them, timed from the first send to the last ack.
 * Contenders: everything off; metrics on; OpenTelemetry's context manager alone (what any app with
 * OTel pays, before this library starts a span: Node 20's AsyncLocalStorage hooks every promise);
 * and metrics plus an OTel SDK sampling 10% or all of the traces, batched to an exporter that drops them.
 * BullMQ runs the same workload untraced and with `bullmq-otel` on the same SDK, sampler and exporter,
 * so each library's traced/untraced ratio shows what tracing costs it.
 */

const IN_FLIGHT = 64;
const CONCURRENCY = 100;

/** Exports nothing: the cost measured is the library's (spans, context, headers), not an exporter's. */
const discardingExporter: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => undefined,
};

type Tracing = 'off' | 'context only' | Sampler;

/** Registers OTel globally as an app's tracing setup would; returns the undo. */
function registerTracing(tracing: Tracing): (() => Promise<void>) | undefined {
  if (tracing === 'off') return undefined;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // An instrumented app activates a context early (its first request): from then on every promise pays.
  context.with(context.active(), () => undefined);
  const provider =
    tracing === 'context only'
      ? undefined
      : new BasicTracerProvider({
          sampler: tracing,
          spanProcessors: [new BatchSpanProcessor(discardingExporter)],
        });
  if (provider) trace.setGlobalTracerProvider(provider);
  return async () => {
    await provider?.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  };
}

const sampled = (ratio: number): Sampler =>
  new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });

interface Setup {
  metrics: boolean;
  tracing: Tracing;
  /** The handler makes one round trip to a store (a GET on its own connection) before it returns. */
  io?: boolean;
  /** The module's own tracing option (`enabled: false` drops the queue's spans, SDK or not). */
  queueTracing?: ValkeyQueueOptions['tracing'];
}

/**
 * Without `io` the handler returns at once: the worst case for a per-message cost. With it, the
 * handler does what most handlers do, one round trip to a store.
 */
function contender(name: string, { metrics, tracing, io = false, queueTracing }: Setup): Contender {
  return {
    name,
    async setup(bench, size) {
      const queue = bench.queueName();
      const payloads = orderPayloads(size);
      const admin = await openRawClient(bench);
      const store = io ? await openRawClient(bench) : undefined;
      const untrace = registerTracing(tracing);
      const handled = countdown(size);
      const handle = store
        ? async (): Promise<void> => {
            await store.get('bench:store');
            handled.count();
          }
        : () => handled.count();
      const app = await startWorkerApp(
        bench,
        queue,
        handle,
        { concurrency: CONCURRENCY },
        {
          metrics: { enabled: metrics },
          ...(queueTracing ? { tracing: queueTracing } : {}),
        },
      );
      return {
        async run() {
          await app.worker.start();
          let next = 0;
          const lane = async (): Promise<void> => {
            while (next < size) await app.sender.send(queue, payloads[next++]);
          };
          await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, size) }, lane));
          await handled.done;
          await waitUntilAcked(admin, `{vq:${queue}}:stream`);
        },
        async teardown() {
          await app.close();
          await untrace?.();
          await admin.quit();
          await store?.quit();
        },
      };
    },
  };
}

/**
 * BullMQ on the same workload: `queue.add` from 64 callers, a Worker at concurrency 100 with a no-op
 * processor, timed until the last job completed. `otel`: `bullmq-otel`'s telemetry on the Queue and
 * the Worker, created after the SDK is registered (it takes the global tracer provider).
 */
function bullContender(name: string, tracing: Tracing, otel: boolean): Contender {
  return {
    name,
    async setup(bench, size) {
      const payloads = orderPayloads(size);
      const untrace = registerTracing(tracing);
      const telemetry = otel ? new BullMQOtel({ tracerName: 'bench' }) : undefined;
      const queue = openBullQueue(bench, { telemetry });
      await queue.waitUntilReady();
      const completed = countdown(size);
      const worker = bullWorker(bench, queue.name, CONCURRENCY, async () => undefined, { telemetry });
      return {
        async run() {
          worker.start().on('completed', () => completed.count());
          let next = 0;
          const lane = async (): Promise<void> => {
            while (next < size) await queue.add('order', payloads[next++]);
          };
          await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, size) }, lane));
          await completed.done;
        },
        async teardown() {
          await worker.close();
          await queue.close();
          await untrace?.();
        },
      };
    },
  };
}

export default defineScenario({
  id: 'observability-overhead',
  title: `observability cost: send + consume (${IN_FLIGHT} senders, worker concurrency ${CONCURRENCY})`,
  size: (quick) => (quick ? 5_000 : 50_000),
  contenders: [
    contender('observability off', { metrics: false, tracing: 'off' }),
    contender('metrics', { metrics: true, tracing: 'off' }),
    contender('OTel context only', { metrics: false, tracing: 'context only' }),
    contender('tracing 10%', { metrics: false, tracing: sampled(0.1) }),
    contender('SDK 10%, tracing: { enabled: false }', {
      metrics: false,
      tracing: sampled(0.1),
      queueTracing: { enabled: false },
    }),
    contender('metrics + tracing 10%', { metrics: true, tracing: sampled(0.1) }),
    contender('metrics + tracing 100%', { metrics: true, tracing: sampled(1) }),
    contender('OTel context only, I/O handler', { metrics: false, tracing: 'context only', io: true }),
    contender('metrics + tracing 10%, I/O handler', { metrics: true, tracing: sampled(0.1), io: true }),
    bullContender('BullMQ, OTel context only', 'context only', false),
    bullContender('BullMQ + bullmq-otel 10%', sampled(0.1), true),
  ],
  ratios: [
    { of: 'metrics', to: 'observability off', target: 0.95 },
    { of: 'metrics', to: 'observability off', metric: 'clientMicros', target: 1.05 },
    // Traced / untraced: ours must be at least BullMQ's, in the same run.
    {
      of: 'tracing 10%',
      to: 'OTel context only',
      targetRatio: { of: 'BullMQ + bullmq-otel 10%', to: 'BullMQ, OTel context only' },
    },
    { of: 'BullMQ + bullmq-otel 10%', to: 'BullMQ, OTel context only' },
    // The same in client CPU per message, steadier than throughput on a shared machine.
    {
      of: 'tracing 10%',
      to: 'OTel context only',
      metric: 'clientMicros',
      targetRatio: { of: 'BullMQ + bullmq-otel 10%', to: 'BullMQ, OTel context only' },
    },
    { of: 'BullMQ + bullmq-otel 10%', to: 'BullMQ, OTel context only', metric: 'clientMicros' },
    { of: 'SDK 10%, tracing: { enabled: false }', to: 'OTel context only', target: 0.9 },
    { of: 'SDK 10%, tracing: { enabled: false }', to: 'OTel context only', metric: 'clientMicros' },
    { of: 'metrics + tracing 10%', to: 'OTel context only', target: 0.95 },
    { of: 'metrics + tracing 100%', to: 'OTel context only' },
    { of: 'metrics + tracing 10%, I/O handler', to: 'OTel context only, I/O handler' },
    { of: 'OTel context only', to: 'observability off' },
    { of: 'metrics + tracing 100%', to: 'observability off' },
  ],
  columns: ['throughput', 'clientMicros', 'serverMicros'],
  notes:
    'One app sends and consumes (64 callers in flight, worker concurrency 100, no-op handler: the worst case, ' +
    'where the queue itself costs well under 100 us per message), timed from the first send to the last ack. ' +
    'Metrics count into plain cells read at scrape time. "OTel context only" registers the context manager ' +
    'and propagator an instrumented app has, but no tracer: the baseline of the tracing rows, which add a ' +
    'PRODUCER span and a traceparent header per send and a CONSUMER span per handler call (10% or all of ' +
    'the traces sampled, batched to a discarding exporter). Targets: metrics within 5% of off; tracing within ' +
    '5% of an app that already has OTel context. The "I/O handler" pair repeats the 10% comparison with a ' +
    'handler that makes one Valkey round trip per message, as handlers that read or write a store do. ' +
    '"tracing 10%" / "OTel context only" is our traced/untraced ratio; BullMQ\'s is the same workload with ' +
    'bullmq-otel on the Queue and Worker (same SDK, sampler, exporter) over BullMQ with the context only ' +
    '(default job options, so completed jobs stay in Valkey). "SDK 10%, tracing: { enabled: false }" keeps ' +
    "the sampling SDK registered and turns the queue's spans off with the module option.",
});
