import { jest } from '@jest/globals';
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type SpanContext,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { OnMessage, QueueSender, QueueWorker, type QueueMessage } from 'nestjs-valkey-queue';
import { deferred, type Deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { bootWorkers, keysOf, workerOf } from '../workers/worker-test-kit.js';
import { pollUntil } from './metrics-text.js';

const QUEUE = `obs-trace-${randomUUID()}`;

interface Handled {
  message: QueueMessage;
  /** The span active inside the handler. */
  active?: SpanContext;
}

@QueueWorker(QUEUE, { maxRetries: 0 })
class TracedWorker {
  next: Deferred<Handled> = deferred<Handled>();

  @OnMessage()
  async handle(message: QueueMessage<{ fail?: boolean }>): Promise<void> {
    this.next.resolve({ message, active: trace.getActiveSpan()?.spanContext() });
    if (message.payload.fail) throw new Error('handler failed');
  }
}

describe('OpenTelemetry trace propagation from send to @OnMessage (real Valkey)', () => {
  const valkey = useValkey();
  const exporter = new InMemorySpanExporter();
  let moduleRef: TestingModule;
  let worker: TracedWorker;

  beforeAll(async () => {
    moduleRef = await bootWorkers(valkey().url, [TracedWorker]);
    worker = moduleRef.get(TracedWorker);
  });
  afterAll(async () => {
    await moduleRef?.close();
  });
  afterEach(() => {
    trace.disable();
    context.disable();
    propagation.disable();
    exporter.reset();
    worker.next = deferred<Handled>();
  });

  const registerSdk = (sampler?: Sampler): void => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
  };
  const finished = async (name: string): Promise<ReadableSpan> => {
    // The consumer span ends right after the handler settles, a few microtasks after it ran.
    for (let turn = 0; turn < 1_000; turn++) {
      const span = exporter.getFinishedSpans().find((candidate) => candidate.name === name);
      if (span) return span;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`no finished span named ${name}`);
  };

  it('writes no trace header and starts no span while no SDK is registered', async () => {
    const { id } = await moduleRef.get(QueueSender).send(QUEUE, {});
    const handled = await worker.next.promise;

    expect(handled.message.id).toBe(id);
    expect(handled.message.headers).toEqual({});
    expect(handled.active).toBeUndefined();
  });

  it('makes the span around send the parent (and link) of the worker span, with messaging attributes', async () => {
    registerSdk();
    const tracer = trace.getTracer('test');
    const sent = await tracer.startActiveSpan('checkout', async (span) => {
      try {
        return await moduleRef.get(QueueSender).send(QUEUE, { order: 42 });
      } finally {
        span.end();
      }
    });
    const handled = await worker.next.promise;
    const checkout = await finished('checkout');
    const producer = await finished(`send ${QUEUE}`);
    const consumer = await finished(`process ${QUEUE}`);

    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(producer.parentSpanContext?.spanId).toBe(checkout.spanContext().spanId);
    expect(producer.attributes).toEqual({
      'messaging.system': 'valkey',
      'messaging.destination.name': QUEUE,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.message.id': sent.id,
    });

    const { traceId, spanId } = producer.spanContext();
    expect(handled.message.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.spanContext().traceId).toBe(traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(spanId);
    expect(consumer.links.map((link) => link.context.spanId)).toEqual([spanId]);
    expect(consumer.attributes).toEqual({
      'messaging.system': 'valkey',
      'messaging.destination.name': QUEUE,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.message.id': sent.id,
      'messaging.consumer.group.name': 'default',
      'messaging.client.id': workerOf(moduleRef, QUEUE).consumer,
      'messaging.valkey.message.attempt': 1,
    });
    expect(consumer.status.code).toBe(SpanStatusCode.UNSET);
    // The handler ran inside the consumer span: its own spans (DB calls...) join the trace.
    expect(handled.active?.spanId).toBe(consumer.spanContext().spanId);

    const raw = rawClient(valkey().url);
    try {
      // The context travels in the envelope's headers field, readable by any client.
      const [[, fields]] = await raw.xrevrange(keysOf(QUEUE).stream, '+', '-', 'COUNT', 1);
      const headers = JSON.parse(fields[fields.indexOf('headers') + 1]) as Record<string, string>;
      expect(headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    } finally {
      await raw.quit();
    }
  });

  it('carries an unsampled trace from send to the handler without starting SDK spans (ratio sampler)', async () => {
    registerSdk(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }));
    const startSpan = jest.spyOn(trace.getTracer('nestjs-valkey-queue'), 'startSpan');
    try {
      await moduleRef.get(QueueSender).send(QUEUE, {});
      const handled = await worker.next.promise;

      const [, traceId, producerSpanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-00$/.exec(
        handled.message.headers.traceparent,
      )!;
      // The handler runs in the trace, unsampled: its own spans and sends follow it.
      expect(handled.active?.traceId).toBe(traceId);
      expect(handled.active?.spanId).not.toBe(producerSpanId);
      expect(handled.active?.traceFlags).toBe(TraceFlags.NONE);
      expect(startSpan).not.toHaveBeenCalled();
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      startSpan.mockRestore();
    }
  });

  it('marks the worker span failed when the handler throws', async () => {
    registerSdk();
    await moduleRef.get(QueueSender).send(QUEUE, { fail: true });
    await worker.next.promise;
    const consumer = await finished(`process ${QUEUE}`);

    expect(consumer.status).toEqual({ code: SpanStatusCode.ERROR, message: 'handler failed' });
    expect(consumer.attributes['error.type']).toBe('Error');
    expect(consumer.events.map((event) => event.name)).toEqual(['exception']);
    const raw = rawClient(valkey().url);
    try {
      await pollUntil(
        () => raw.xlen(keysOf(QUEUE).dead),
        (length) => length === 1,
      ); // settled before close
    } finally {
      await raw.quit();
    }
  });
});

const UNTRACED_QUEUE = `obs-untraced-${randomUUID()}`;

@QueueWorker(UNTRACED_QUEUE)
class UntracedWorker {
  next: Deferred<Handled> = deferred<Handled>();

  @OnMessage()
  handle(message: QueueMessage): void {
    // An app span inside the handler: the app's own tracing keeps working.
    trace.getTracer('app').startActiveSpan('charge card', (span) => span.end());
    this.next.resolve({ message, active: trace.getActiveSpan()?.spanContext() });
  }
}

describe('tracing: { enabled: false } with an OpenTelemetry SDK registered (real Valkey)', () => {
  const valkey = useValkey();
  const exporter = new InMemorySpanExporter();
  let moduleRef: TestingModule;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    moduleRef = await bootWorkers(valkey().url, [UntracedWorker], { tracing: { enabled: false } });
  });
  afterAll(async () => {
    await moduleRef?.close();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('keeps the app spans, starts no queue span and writes no trace header', async () => {
    const sent = await trace.getTracer('app').startActiveSpan('checkout', async (span) => {
      try {
        return await moduleRef.get(QueueSender).send(UNTRACED_QUEUE, { order: 7 });
      } finally {
        span.end();
      }
    });
    const handled = await moduleRef.get(UntracedWorker).next.promise;
    const raw = rawClient(valkey().url);
    try {
      // Acknowledged: a process span, had there been one, would have ended before the ack.
      await pollUntil(
        () => raw.xpending(keysOf(UNTRACED_QUEUE).stream, 'default'),
        (pending) => Number((pending as unknown[])[0]) === 0,
      );
    } finally {
      await raw.quit();
    }

    expect(handled.message.id).toBe(sent.id);
    expect(handled.message.headers).toEqual({});
    expect(handled.active).toBeUndefined();
    expect(
      exporter
        .getFinishedSpans()
        .map((span) => span.name)
        .sort(),
    ).toEqual(['charge card', 'checkout']);
  });
});
