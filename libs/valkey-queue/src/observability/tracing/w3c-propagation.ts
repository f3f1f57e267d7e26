import {
  createContextKey,
  propagation,
  trace,
  TraceFlags,
  type Context,
  type TraceState,
} from '@opentelemetry/api';

/**
 * Whether the global propagator is known to be the W3C Trace Context one, so that an unsampled span's
 * `traceparent` can be written or read here without building the contexts `propagation.inject` /
 * `extract` take: the `W3CTraceContextPropagator` of @opentelemetry/core alone (`'trace-context'`),
 * or a `CompositePropagator` of it and the `W3CBaggagePropagator` (`'with-baggage'`, the NodeSDK
 * default: then only carriers and contexts without baggage qualify). Anything else: undefined, and
 * every call goes through the propagator. @internal
 */
export type KnownPropagation = 'trace-context' | 'with-baggage';

interface PropagatorLike {
  constructor?: { name?: string };
  _propagators?: unknown;
}

const nameOf = (propagator: unknown): string | undefined =>
  typeof propagator === 'object' && propagator !== null
    ? (propagator as PropagatorLike).constructor?.name
    : undefined;

function recognise(propagator: unknown): KnownPropagation | undefined {
  const name = nameOf(propagator);
  if (name === 'W3CTraceContextPropagator') return 'trace-context';
  if (name !== 'CompositePropagator') return undefined;
  const parts = (propagator as PropagatorLike)._propagators;
  if (!Array.isArray(parts)) return undefined;
  const names = parts.map(nameOf);
  const traceContext = names.filter((part) => part === 'W3CTraceContextPropagator').length;
  const others = names.filter(
    (part) => part !== 'W3CTraceContextPropagator' && part !== 'W3CBaggagePropagator',
  );
  return traceContext === 1 && others.length === 0 && names.length <= 2 ? 'with-baggage' : undefined;
}

let known: { propagator: unknown; kind: KnownPropagation | undefined } | undefined;

/** The global propagator's kind, recognised once per propagator instance. */
export function knownPropagation(): KnownPropagation | undefined {
  // Not part of the API's public surface; a version without it is not recognised.
  const api = propagation as unknown as { _getGlobalPropagator?: () => unknown };
  const global = api._getGlobalPropagator?.();
  if (known === undefined || known.propagator !== global)
    known = { propagator: global, kind: recognise(global) };
  return known.kind;
}

/** The key of @opentelemetry/core's `suppressTracing` (the API makes keys with `Symbol.for`). */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** `isTracingSuppressed` of @opentelemetry/core, which the library does not depend on. @internal */
export const isTracingSuppressed = (context: Context): boolean =>
  context.getValue(SUPPRESS_TRACING_KEY) === true;

/**
 * True when `propagation.inject(context with a span, …)` writes that span's trace context and
 * nothing else: a known propagator, no baggage to write, tracing not suppressed. @internal
 */
export function injectsTraceContextOnly(kind: KnownPropagation | undefined, context: Context): boolean {
  if (kind === undefined || isTracingSuppressed(context)) return false;
  return kind === 'trace-context' || propagation.getBaggage(context) === undefined;
}

/** A valid W3C trace id and span id, as the propagator's expression reads them (lowercase hex, not all zeros). */
const CANONICAL_TRACE_ID = /^(?!0{32})[\da-f]{32}$/;
const CANONICAL_SPAN_ID = /^(?!0{16})[\da-f]{16}$/;
/** `00-<trace id>-<span id>-00`: version 00, sampled flag off, nothing after. */
const UNSAMPLED_TRACEPARENT = /^00-(?!0{32})[\da-f]{32}-(?!0{16})[\da-f]{16}-00$/;

/**
 * The headers `W3CTraceContextPropagator.inject` writes for an unsampled span (none for invalid
 * ids). `checked`: the ids are known to be valid lowercase hex (drawn here). @internal
 */
export function unsampledTraceContextHeaders(
  traceId: string,
  spanId: string,
  traceState: TraceState | undefined,
  checked: boolean,
): Record<string, string> {
  if (!checked && !isCanonical(traceId, spanId)) {
    // The API's check (which also takes upper case) only for ids of another shape.
    if (!trace.isSpanContextValid({ traceId, spanId, traceFlags: TraceFlags.NONE })) return {};
  }
  const headers: Record<string, string> = { traceparent: `00-${traceId}-${spanId}-00` };
  if (traceState) headers.tracestate = traceState.serialize();
  return headers;
}

const isCanonical = (traceId: string, spanId: string): boolean =>
  CANONICAL_TRACE_ID.test(traceId) && CANONICAL_SPAN_ID.test(spanId);

/**
 * The trace id of a message whose headers carry an unsampled remote parent and nothing else the
 * propagator would read: a canonical `traceparent` `00-<trace id>-<span id>-00`, no `tracestate`
 * (and no `baggage` when the propagator reads it). What `extract` would return for it is then
 * exactly `{ traceId, spanId, traceFlags: 0, isRemote: true }`. Undefined for anything else,
 * which goes through the propagator.
 */
export function unsampledRemoteTraceId(
  kind: KnownPropagation,
  headers: Readonly<Record<string, string>>,
): string | undefined {
  const traceparent = headers.traceparent;
  if (
    typeof traceparent !== 'string' ||
    headers.tracestate !== undefined ||
    (kind === 'with-baggage' && headers.baggage !== undefined) ||
    !UNSAMPLED_TRACEPARENT.test(traceparent)
  ) {
    return undefined;
  }
  return traceparent.slice(3, 35);
}
