import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { QueueUnavailableError } from '../../errors/queue-unavailable.error.js';
import type { QueueMessage } from '../../interfaces/queue-message.interface.js';
import { registerSdk, unregisterSdk } from './otel-sdk.spec-helper.js';
import { activeTracer, startProcessSpan, startSendSpan } from './queue-tracing.js';

const message = (headers: Record<string, string>): QueueMessage =>
  ({ id: 'm-1', queue: 'orders', headers, attempt: 2 }) as QueueMessage;

describe('queue tracing', () => {
  afterEach(() => {
    unregisterSdk();
  });

  it('does nothing while no OpenTelemetry SDK is registered', () => {
    expect(activeTracer()).toBeUndefined();
    expect(startSendSpan('orders', 1)).toBeUndefined();
    expect(startProcessSpan(message({}), { group: 'g', consumer: 'c' })).toBeUndefined();
  });

  describe('with an SDK', () => {
    const exporter = new InMemorySpanExporter();
    beforeEach(() => {
      exporter.reset();
      registerSdk({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    });

    it('starts a PRODUCER span under the active one, whose context travels in the headers', () => {
      const request = trace.getTracer('test').startSpan('request');
      const send = context.with(trace.setSpan(context.active(), request), () => startSendSpan('orders', 1))!;
      const headers = send.inject({ tenant: 'acme' });
      send.messageId('m-1');
      send.end();
      request.end();

      const [span] = exporter.getFinishedSpans().filter(({ name }) => name === 'send orders');
      expect(span.kind).toBe(SpanKind.PRODUCER);
      expect(span.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
      expect(span.attributes).toEqual({
        'messaging.system': 'valkey',
        'messaging.destination.name': 'orders',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.message.id': 'm-1',
      });
      expect(headers).toEqual({
        tenant: 'acme',
        traceparent: `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
      });
    });

    it('keeps an explicit traceparent header, and counts the messages of a batch', () => {
      const send = startSendSpan('orders', 3)!;
      expect(send.inject({ traceparent: 'mine' }).traceparent).toBe('mine');
      send.end(new QueueUnavailableError('orders'));

      const [span] = exporter.getFinishedSpans();
      expect(span.attributes['messaging.batch.message_count']).toBe(3);
      expect(span.attributes['error.type']).toBe('VQ_QUEUE_UNAVAILABLE');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.events.map(({ name }) => name)).toEqual(['exception']);
    });

    it('starts a CONSUMER span parented by and linked to the producer context, active while it runs', () => {
      const send = startSendSpan('orders', 1)!;
      const headers = send.inject(undefined);
      send.end();
      const process = startProcessSpan(message(headers), { group: 'billing', consumer: 'host-1' })!;
      const inside = process.run((value: number) => [trace.getActiveSpan(), value] as const, 7);
      process.end();

      const producer = exporter.getFinishedSpans().find(({ name }) => name === 'send orders')!;
      const consumer = exporter.getFinishedSpans().find(({ name }) => name === 'process orders')!;
      expect(inside).toEqual([process.span, 7]);
      expect(consumer.kind).toBe(SpanKind.CONSUMER);
      expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
      expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
      expect(consumer.links.map((link) => link.context.spanId)).toEqual([producer.spanContext().spanId]);
      expect(consumer.attributes).toEqual({
        'messaging.system': 'valkey',
        'messaging.destination.name': 'orders',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.message.id': 'm-1',
        'messaging.consumer.group.name': 'billing',
        'messaging.client.id': 'host-1',
        'messaging.valkey.message.attempt': 2,
      });
    });

    it('starts a new trace, without a link, for a message sent without trace context', () => {
      startProcessSpan(message({}), { group: 'g', consumer: 'c' })!.end();
      const [span] = exporter.getFinishedSpans();
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.links).toEqual([]);
    });
  });
});
