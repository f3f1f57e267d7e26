import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';

/** The options of an SDK tracer provider (sampler, span processors, id generator, meter provider). */
export type SdkConfig = NonNullable<ConstructorParameters<typeof BasicTracerProvider>[0]>;

/**
 * Registers what an instrumented app has: an async context manager, the W3C trace-context
 * propagator and an SDK tracer provider built with `config`. The API keeps the first registration
 * of each, so whatever a previous test registered is dropped first.
 */
export function registerSdk(config: SdkConfig): void {
  unregisterSdk();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider(config));
}

/** Drops the global tracer provider, context manager and propagator. */
export function unregisterSdk(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}

/**
 * A meter provider that makes an SDK count the spans it starts (`otel.sdk.span.started`): the
 * sampling result of every start is pushed to `counted`.
 */
export function countingMeterProvider(counted: string[]): NonNullable<SdkConfig['meterProvider']> {
  const provider = {
    getMeter: () => ({
      createCounter: () => ({
        add: (_: number, attributes: Record<string, string>) =>
          counted.push(attributes['otel.span.sampling_result']),
      }),
      createUpDownCounter: () => ({ add: () => undefined }),
    }),
  };
  return provider as never;
}
