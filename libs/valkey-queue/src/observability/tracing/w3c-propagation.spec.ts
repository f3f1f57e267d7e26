import { jest } from '@jest/globals';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { QueueMessage } from '../../interfaces/queue-message.interface.js';
import { registerSdk, unregisterSdk } from './otel-sdk.spec-helper.js';
import { startProcessSpan } from './queue-tracing.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PRODUCER_SPAN_ID = 'b7ad6b7169203331';
const target = { group: 'g', consumer: 'c' };
const message = (headers: Record<string, string>): QueueMessage =>
  ({ id: 'm-1', queue: 'orders', attempt: 1, headers }) as unknown as QueueMessage;

describe('consumer spans of unsampled messages', () => {
  const exporter = new InMemorySpanExporter();
  beforeEach(() => {
    exporter.reset();
    registerSdk({
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    unregisterSdk();
  });

  it('read a plain unsampled traceparent without the propagator, into the span it would give', () => {
    const extract = jest.spyOn(propagation, 'extract');
    const process = startProcessSpan(
      message({ traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-00` }),
      target,
    )!;
    const active = process.run(() => trace.getActiveSpan());
    process.end();

    expect(extract).not.toHaveBeenCalled();
    expect(active).toBe(process.span);
    expect(process.span.isRecording()).toBe(false);
    const span = process.span.spanContext();
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.spanId).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
    expect(span.spanId).not.toBe(PRODUCER_SPAN_ID);
    expect(span.traceFlags).toBe(TraceFlags.NONE);
    expect(span.isRemote).toBeFalsy();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('read only that form themselves: anything else goes through the propagator, with its answer', () => {
    const extract = jest.spyOn(propagation, 'extract');
    startProcessSpan(message({ traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-00` }), target)!.end();
    expect(extract).not.toHaveBeenCalled();

    const others = [
      `00-${TRACE_ID.toUpperCase()}-${PRODUCER_SPAN_ID}-00`, // upper-case hex
      `00-${'0'.repeat(32)}-${PRODUCER_SPAN_ID}-00`, // zero trace id
      `00-${TRACE_ID}-${'0'.repeat(16)}-00`, // zero span id
      `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-02`, // flags other than the sampled bit
      `01-${TRACE_ID}-${PRODUCER_SPAN_ID}-00-extra`, // a later version with more fields
      `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-00-extra`, // version 00 with more fields
      ` 00-${TRACE_ID}-${PRODUCER_SPAN_ID}-00`, // the white space the propagator allows
    ];
    for (const traceparent of others) {
      const expected = trace.getSpanContext(
        new W3CTraceContextPropagator().extract(
          context.active(),
          { traceparent },
          {
            get: (carrier, key) => carrier[key],
            keys: (carrier) => Object.keys(carrier),
          },
        ),
      );
      const process = startProcessSpan(message({ traceparent }), target)!;
      const recording = process.span.isRecording();
      process.end();
      if (expected && !(expected.traceFlags & TraceFlags.SAMPLED)) {
        // Unsampled parent: the trace goes on, unrecorded.
        expect([traceparent, process.span.spanContext().traceId]).toEqual([traceparent, expected.traceId]);
        expect([traceparent, recording]).toEqual([traceparent, false]);
      } else {
        // No usable parent: a new trace, recorded by the AlwaysOn root.
        expect([traceparent, recording]).toEqual([traceparent, true]);
      }
    }
    expect(extract).toHaveBeenCalledTimes(others.length);
  });

  it('leave a message with baggage to a propagator that reads baggage', () => {
    propagation.disable();
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    const extract = jest.spyOn(propagation, 'extract');
    const traceparent = `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-00`;
    const plain = startProcessSpan(message({ traceparent }), target)!;
    expect(extract).not.toHaveBeenCalled();
    const withBaggage = startProcessSpan(message({ traceparent, baggage: 'tenant=acme' }), target)!;
    const seen = withBaggage.run(() => propagation.getActiveBaggage()?.getEntry('tenant')?.value);

    expect(extract).toHaveBeenCalledTimes(1);
    expect(plain.span.spanContext().traceId).toBe(TRACE_ID);
    expect(seen).toBe('acme');
  });
});
