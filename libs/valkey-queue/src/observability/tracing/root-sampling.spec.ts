import { jest } from '@jest/globals';
import { context, propagation, ROOT_CONTEXT, SamplingDecision, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { countingMeterProvider, registerSdk, unregisterSdk, type SdkConfig } from './otel-sdk.spec-helper.js';
import { activeTracer, startSendSpan } from './queue-tracing.js';

const TRACEPARENT = (flags: string): RegExp => new RegExp(`^00-([0-9a-f]{32})-([0-9a-f]{16})-${flags}$`);

describe('root send spans', () => {
  const exporter = new InMemorySpanExporter();
  const register = (
    sampler: Sampler,
    options: Pick<SdkConfig, 'meterProvider' | 'idGenerator'> = {},
  ): void => {
    exporter.reset();
    registerSdk({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)], ...options });
  };
  const ratio = (value: number): Sampler =>
    new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(value) });
  const send = (headers?: Record<string, string>): Record<string, string> => {
    const span = startSendSpan('orders', 1)!;
    const injected = span.inject(headers);
    span.messageId('m-1');
    span.end();
    return injected;
  };

  afterEach(() => {
    jest.restoreAllMocks();
    unregisterSdk();
  });

  it('write the unsampled trace context of a dropped root without starting an SDK span', () => {
    register(ratio(0));
    const startSpan = jest.spyOn(activeTracer()!, 'startSpan');
    const headers = send({ tenant: 'acme' });
    const again = send();

    expect(startSpan).not.toHaveBeenCalled();
    expect(headers.tenant).toBe('acme');
    const [, traceId, spanId] = TRACEPARENT('00').exec(headers.traceparent)!;
    expect(trace.isSpanContextValid({ traceId, spanId, traceFlags: 0 })).toBe(true);
    expect(traceId).not.toMatch(/^0+$/);
    expect(headers.tracestate).toBeUndefined();
    // A new trace per send.
    expect(again.traceparent.slice(3, 35)).not.toBe(traceId);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("decide as the SDK's ratio sampler does on the trace id written, and record the kept ones through the SDK", () => {
    register(ratio(0.5));
    const startSpan = jest.spyOn(activeTracer()!, 'startSpan');
    const sampler = new TraceIdRatioBasedSampler(0.5);
    const sent = Array.from({ length: 200 }, () => send().traceparent);
    const kept = sent.filter((traceparent) => traceparent.endsWith('-01'));

    for (const traceparent of sent) {
      const traceId = traceparent.slice(3, 35);
      const decision = sampler.shouldSample(ROOT_CONTEXT, traceId).decision;
      expect(traceparent.endsWith('-01')).toBe(decision === SamplingDecision.RECORD_AND_SAMPLED);
    }
    expect(kept.length).toBeGreaterThan(50);
    expect(kept.length).toBeLessThan(150);
    expect(startSpan).toHaveBeenCalledTimes(kept.length);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`)).toEqual(
      kept,
    );
    for (const span of spans) {
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.attributes['messaging.message.id']).toBe('m-1');
    }

    // Under the app's active span the send span stays its child, whatever the root sampler says.
    exporter.reset();
    const request = trace.getTracer('app').startSpan('request', { root: true });
    const parent = trace.wrapSpanContext({ ...request.spanContext(), traceFlags: 1 });
    const headers = context.with(trace.setSpan(ROOT_CONTEXT, parent), () => send());
    const [producer] = exporter.getFinishedSpans().filter(({ name }) => name === 'send orders');
    expect(producer.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(headers.traceparent).toBe(
      `00-${parent.spanContext().traceId}-${producer.spanContext().spanId}-01`,
    );
  });

  it("use the tracer's own id generator when it is not the SDK's random one", () => {
    let next = 0;
    const idGenerator = {
      generateTraceId: () => `${'ab'.repeat(12)}${(++next).toString(16).padStart(8, '0')}`,
      generateSpanId: () => `${'cd'.repeat(4)}${(++next).toString(16).padStart(8, '0')}`,
    };
    register(ratio(0), { idGenerator });
    const startSpan = jest.spyOn(activeTracer()!, 'startSpan');
    expect(send().traceparent).toBe(`00-${'ab'.repeat(12)}00000001-${'cd'.repeat(4)}00000002-00`);
    expect(startSpan).not.toHaveBeenCalled();

    register(ratio(1), { idGenerator });
    next = 0;
    const headers = send();
    const [span] = exporter.getFinishedSpans();
    expect(span.spanContext().traceId).toBe(`${'ab'.repeat(12)}00000001`);
    expect(headers.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  });

  it("skip the SDK's span start only for its own ratio or always-off root sampler, with no span counting", () => {
    register(new ParentBasedSampler({ root: new AlwaysOffSampler() }));
    let startSpan = jest.spyOn(activeTracer()!, 'startSpan');
    expect(send().traceparent).toMatch(TRACEPARENT('00'));
    expect(startSpan).not.toHaveBeenCalled();

    // A custom root sampler: the SDK asks it, once per span.
    const root = new TraceIdRatioBasedSampler(0);
    const asked = jest.spyOn(root, 'shouldSample');
    const custom: Sampler = {
      shouldSample: (context, traceId) => root.shouldSample(context, traceId),
      toString: () => 'custom',
    };
    register(new ParentBasedSampler({ root: custom }));
    startSpan = jest.spyOn(activeTracer()!, 'startSpan');
    expect(send().traceparent).toMatch(TRACEPARENT('00'));
    expect(startSpan).toHaveBeenCalledTimes(1);
    expect(asked).toHaveBeenCalledTimes(1);

    // AlwaysOn: every root is recorded, nothing to skip.
    register(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
    startSpan = jest.spyOn(activeTracer()!, 'startSpan');
    expect(send().traceparent).toMatch(TRACEPARENT('01'));
    expect(startSpan).toHaveBeenCalledTimes(1);

    // An SDK counting the spans it starts (a meter provider given): each is counted.
    const counted: string[] = [];
    register(ratio(0), { meterProvider: countingMeterProvider(counted) });
    startSpan = jest.spyOn(activeTracer()!, 'startSpan');
    expect(send().traceparent).toMatch(TRACEPARENT('00'));
    expect(startSpan).toHaveBeenCalledTimes(1);
    expect(counted).toEqual(['DROP']);
  });

  it('write what a propagator that also carries baggage writes, and nothing while tracing is suppressed', () => {
    register(ratio(0));
    propagation.disable();
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    const inject = jest.spyOn(propagation, 'inject');
    // The NodeSDK's default propagator, nothing in the context but the span: written here.
    expect(send()).toEqual({ traceparent: expect.stringMatching(TRACEPARENT('00')) });
    expect(inject).not.toHaveBeenCalled();

    const baggage = propagation.createBaggage({ tenant: { value: 'acme' } });
    const withBaggage = context.with(propagation.setBaggage(ROOT_CONTEXT, baggage), () => send());
    const suppressed = context.with(
      ROOT_CONTEXT.setValue(Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING'), true),
      () => send(),
    );

    expect(withBaggage.traceparent).toMatch(TRACEPARENT('00'));
    expect(withBaggage.baggage).toBe('tenant=acme');
    expect(suppressed).toEqual({});
  });
});
