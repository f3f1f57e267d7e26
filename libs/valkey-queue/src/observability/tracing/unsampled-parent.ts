import { trace, TraceFlags, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import { randomSpanId } from './random-ids.js';

/**
 * Which children of an unsampled parent the SDK's sampler is known to drop: true for the
 * OpenTelemetry SDK's `ParentBasedSampler` whose `remoteParentNotSampled` / `localParentNotSampled`
 * is the `AlwaysOffSampler` (its defaults). Anything else, including a sampler this cannot read,
 * is false: then every span goes through `tracer.startSpan` as usual. @internal
 */
export interface UnsampledParentPolicy {
  remote: boolean;
  local: boolean;
}

const NEVER: UnsampledParentPolicy = { remote: false, local: false };

interface ParentBasedLike {
  _remoteParentNotSampled?: unknown;
  _localParentNotSampled?: unknown;
}

const isAlwaysOff = (sampler: unknown): boolean =>
  typeof sampler === 'object' && sampler !== null && String(sampler) === 'AlwaysOffSampler';

/**
 * Reads the sampler of an SDK tracer (`Tracer._sampler` in @opentelemetry/sdk-trace 2.x). Read once
 * per tracer provider; a tracer of any other shape gets `NEVER`. @internal
 */
export function unsampledParentPolicy(tracer: Tracer): UnsampledParentPolicy {
  const sampler = (tracer as { _sampler?: unknown })._sampler;
  if (!isSdkParentBased(sampler) || countsSpanStarts(tracer)) return NEVER;
  const { _remoteParentNotSampled: remote, _localParentNotSampled: local } = sampler as ParentBasedLike;
  return { remote: isAlwaysOff(remote), local: isAlwaysOff(local) };
}

/** True for the SDK's own `ParentBasedSampler`, not a subclass that may decide otherwise. @internal */
export function isSdkParentBased(sampler: unknown): boolean {
  return (
    typeof sampler === 'object' &&
    sampler !== null &&
    sampler.constructor?.name === 'ParentBasedSampler' &&
    String(sampler).startsWith('ParentBased{')
  );
}

/**
 * True when the SDK counts the spans it starts (`otel.sdk.span.started`, when the tracer provider
 * was given a meter provider): a span start skipped here would be missing from that count. @internal
 */
export function countsSpanStarts(tracer: Tracer): boolean {
  const metrics = (tracer as { _tracerMetrics?: { startedSpans?: object } })._tracerMetrics;
  return metrics !== undefined && metrics.startedSpans?.constructor?.name !== 'NoopCounterMetric';
}

/**
 * The span the SDK's tracer would return for a child of `parent` when its sampler drops it: a
 * non-recording span with the parent's trace id and trace state, a new span id and the sampled
 * flag off, built without the SDK's span start (id generation, attribute checks, sampler call).
 * Undefined when the SDK might record the child: a sampled or invalid parent, or a sampler not
 * known to drop such children. @internal
 */
export function unsampledChild(
  policy: UnsampledParentPolicy,
  parent: SpanContext | undefined,
): Span | undefined {
  const child = unsampledChildContext(policy, parent);
  return child && trace.wrapSpanContext(child);
}

/** The span context of `unsampledChild`'s span, or undefined as it is. @internal */
export function unsampledChildContext(
  policy: UnsampledParentPolicy,
  parent: SpanContext | undefined,
): SpanContext | undefined {
  if (!parent || parent.traceFlags & TraceFlags.SAMPLED) return undefined;
  if (!(parent.isRemote ? policy.remote : policy.local) || !trace.isSpanContextValid(parent))
    return undefined;
  return {
    traceId: parent.traceId,
    spanId: randomSpanId(),
    traceFlags: TraceFlags.NONE,
    traceState: parent.traceState,
  };
}
