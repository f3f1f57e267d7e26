import { jest } from '@jest/globals';
import { trace, TraceFlags, type Span } from '@opentelemetry/api';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import type { QueueMessage } from '../../interfaces/queue-message.interface.js';
import { countingMeterProvider, registerSdk, unregisterSdk } from './otel-sdk.spec-helper.js';
import { activeTracer, startProcessSpan, startSendSpan } from './queue-tracing.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PRODUCER_SPAN_ID = 'b7ad6b7169203331';
const unsampledMessage = {
  id: 'm-1',
  queue: 'orders',
  attempt: 1,
  headers: { traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-00`, tracestate: 'vendor=1' },
} as unknown as QueueMessage;
const target = { group: 'g', consumer: 'c' };

describe('spans under an unsampled parent', () => {
  const exporter = new InMemorySpanExporter();
  const register = (sampler: Sampler): void => {
    exporter.reset();
    registerSdk({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  };
  afterEach(() => {
    jest.restoreAllMocks();
    unregisterSdk();
  });

  it('are the non-recording spans the SDK would return, made without its span start (ParentBased sampler)', () => {
    register(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
    const startSpan = jest.spyOn(activeTracer()!, 'startSpan');

    const process = startProcessSpan(unsampledMessage, target)!;
    const active = process.run(() => trace.getActiveSpan());
    process.end();
    const send = process.run(() => startSendSpan('orders', 1))!;
    const headers = send.inject(undefined);
    send.end();

    expect(startSpan).not.toHaveBeenCalled();
    const consumer = process.span.spanContext();
    expect(process.span.isRecording()).toBe(false);
    expect(active).toBe(process.span);
    expect(consumer.traceId).toBe(TRACE_ID);
    expect(consumer.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(consumer.spanId).not.toBe(PRODUCER_SPAN_ID);
    expect(consumer.traceFlags).toBe(TraceFlags.NONE);
    expect(consumer.traceState?.serialize()).toBe('vendor=1');
    // The trace goes on, unsampled, through a send made inside the handler.
    expect(headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('still go through the SDK when its sampler may record them', () => {
    register(new AlwaysOnSampler());
    const startSpan = jest.spyOn(activeTracer()!, 'startSpan');

    startProcessSpan(unsampledMessage, target)!.end();

    expect(startSpan).toHaveBeenCalledTimes(1);
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('process orders');
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PRODUCER_SPAN_ID);
  });

  it('still go through the SDK when it counts the spans it starts (a meter provider given)', () => {
    const counted: string[] = [];
    exporter.reset();
    registerSdk({
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      meterProvider: countingMeterProvider(counted),
    });
    const startSpan = jest.spyOn(activeTracer()!, 'startSpan');
    const process = startProcessSpan(unsampledMessage, target)!;
    process.run(() => startSendSpan('orders', 1))!.end();
    process.end();

    expect(startSpan).toHaveBeenCalledTimes(2);
    expect(counted).toEqual(['DROP', 'DROP']);
  });

  it('a sampled parent keeps the SDK span (recorded, parented and linked)', () => {
    register(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
    const sampled = {
      ...unsampledMessage,
      headers: { traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-01` },
    } as unknown as QueueMessage;

    const process = startProcessSpan(sampled, target)!;
    expect((process.span as Span).isRecording()).toBe(true);
    process.end();

    const [span] = exporter.getFinishedSpans();
    expect(span.parentSpanContext?.spanId).toBe(PRODUCER_SPAN_ID);
    expect(span.links.map((link) => link.context.spanId)).toEqual([PRODUCER_SPAN_ID]);
  });
});
