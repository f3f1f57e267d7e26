import {
  ROOT_CONTEXT,
  SamplingDecision,
  SpanKind,
  type Attributes,
  type Context,
  type Span,
  type SpanOptions,
  type TraceState,
  type Tracer,
} from '@opentelemetry/api';
import { hexOfWords, randomSpanId, randomWord } from './random-ids.js';
import { countsSpanStarts, isSdkParentBased } from './unsampled-parent.js';

/** The SDK's `IdGenerator`. */
interface IdGeneratorLike {
  generateTraceId(): string;
  generateSpanId(): string;
}

/** The SDK's `Sampler`, as far as a root decision needs it. */
interface RootSamplerLike {
  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: [],
  ): { decision: SamplingDecision; traceState?: TraceState; attributes?: Attributes };
}

/** The fields of the SDK's `Tracer` (@opentelemetry/sdk-trace 2.x) read here. */
interface SdkTracerLike {
  _sampler?: { constructor?: { name?: string }; _root?: unknown };
  _idGenerator?: Partial<IdGeneratorLike>;
}

/**
 * How root spans are sampled by an SDK tracer whose decision can be made before the span is built:
 * the SDK's own `ParentBasedSampler` with a `TraceIdRatioBasedSampler` or `AlwaysOffSampler` root,
 * whose decision for a root span is a pure function of its trace id. Then a send without a parent
 * span asks that root sampler with a trace id from the tracer's id generator and, when it drops the
 * span, writes the trace context of the non-recording span the SDK would have returned, without the
 * SDK's span start (attribute copies, span and context objects, the propagator).
 * @internal
 */
export interface RootSampling {
  readonly ids: IdGeneratorLike;
  readonly root: RootSamplerLike;
  /**
   * Set when the ids come from the SDK's `RandomIdGenerator` and the root sampler keeps exactly the
   * trace ids whose four 32-bit words XOR to less than this (the ratio sampler's rule, checked
   * against the sampler itself): then `drawRoot` decides without hex ids or a sampler call.
   */
  readonly upperBound: number | undefined;
}

/** Root samplers whose decision depends on the trace id alone, and never on the call count. */
const DETERMINISTIC_ROOTS = new Map([
  ['TraceIdRatioBasedSampler', 'TraceIdRatioBased{'],
  ['AlwaysOffSampler', 'AlwaysOffSampler'],
]);

/**
 * The root sampling of an SDK tracer, or undefined when the span start cannot be skipped: another
 * sampler (a custom or stateful one is asked by the SDK as usual, once per span), a tracer of
 * another shape, or an SDK that counts the spans it starts (`otel.sdk.span.started`, with a meter
 * provider given to the tracer provider), which would miss the skipped ones. Read once per tracer
 * provider.
 * @internal
 */
export function rootSamplingOf(tracer: Tracer): RootSampling | undefined {
  const { _sampler: sampler, _idGenerator: ids } = tracer as SdkTracerLike;
  if (!sampler || !isSdkParentBased(sampler) || countsSpanStarts(tracer)) return undefined;
  if (typeof ids?.generateTraceId !== 'function' || typeof ids.generateSpanId !== 'function')
    return undefined;
  const root = sampler._root as { constructor?: { name?: string }; shouldSample?: unknown } | undefined;
  const prefix = DETERMINISTIC_ROOTS.get(root?.constructor?.name ?? '');
  if (
    !root ||
    prefix === undefined ||
    typeof root.shouldSample !== 'function' ||
    !String(root).startsWith(prefix)
  ) {
    return undefined;
  }
  const sampling = root as RootSamplerLike;
  const random = (ids as { constructor?: { name?: string } }).constructor?.name === 'RandomIdGenerator';
  return {
    ids: ids as IdGeneratorLike,
    root: sampling,
    upperBound: random ? ratioBound(sampling) : undefined,
  };
}

const MAX_WORD = 0xffffffff;

/**
 * The bound of the ratio rule the root sampler follows (`TraceIdRatioBasedSampler._upperBound`, 0
 * for `AlwaysOffSampler`), or undefined unless the sampler's own answers agree with the rule for
 * trace ids whose words XOR to values on both sides of it.
 */
function ratioBound(root: RootSamplerLike): number | undefined {
  const declared = (root as { _upperBound?: unknown })._upperBound;
  const bound =
    typeof declared === 'number' ? declared : root.constructor?.name === 'AlwaysOffSampler' ? 0 : undefined;
  if (bound === undefined || !(bound >= 0 && bound <= MAX_WORD + 1)) return undefined;
  const probes = [0, 1, bound - 1, bound, bound + 1, 0x7fffffff, 0x80000000, MAX_WORD];
  for (const xor of probes) {
    if (!Number.isInteger(xor) || xor < 0 || xor > MAX_WORD) continue;
    // Words xor, 1, 1, 0: they XOR to `xor`, and the id is never all zeros.
    const traceId = hexOfWords(xor, 1) + hexOfWords(1, 0);
    const result = root.shouldSample(ROOT_CONTEXT, traceId, 'probe', SpanKind.PRODUCER, {}, []);
    const expected = xor < bound ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD;
    if (result.decision !== expected || result.traceState !== undefined || result.attributes !== undefined) {
      return undefined;
    }
  }
  return bound;
}

/** Ids of a root span and the root sampler's decision on them (see `drawRoot`). */
export interface DrawnRoot {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/**
 * A root span's trace id and span id drawn as the SDK's `RandomIdGenerator` draws them (a random
 * 32-bit word at a time; an all-zero id gets 1 in its last byte), and the ratio rule's decision
 * on the trace id, made on its words. @internal
 */
export function drawRoot(upperBound: number): DrawnRoot {
  const a = randomWord();
  const b = randomWord();
  const c = randomWord();
  let d = randomWord();
  if ((a | b | c | d) === 0) d = 1;
  return {
    traceId: hexOfWords(a, b) + hexOfWords(c, d),
    spanId: randomSpanId(),
    sampled: (a ^ b ^ c ^ d) >>> 0 < upperBound,
  };
}

/** A root trace id and whether the root sampler drops the span, with the trace state it gives. */
export interface RootDecision {
  traceId: string;
  dropped: boolean;
  traceState: TraceState | undefined;
}

/**
 * Asks the root sampler, as the SDK's tracer would, about a new root span. The attributes and
 * links passed are the span's creation ones (a deterministic root sampler does not read them).
 */
export function decideRoot(
  sampling: RootSampling,
  parent: Context,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
): RootDecision {
  const traceId = sampling.ids.generateTraceId();
  const result = sampling.root.shouldSample(parent, traceId, name, kind, attributes, []);
  return { traceId, dropped: result.decision === SamplingDecision.NOT_RECORD, traceState: result.traceState };
}

/**
 * `tracer.startSpan` for a root span whose trace id was already drawn (and sampled) by
 * `decideRoot`: the SDK builds it as usual, its id generator answering that trace id once, so the
 * span, its sampling (asked again: same trace id, same answer) and its processors are the SDK's own.
 */
export function startRootWithTraceId(
  tracer: Tracer,
  sampling: RootSampling,
  traceId: string,
  name: string,
  options: SpanOptions,
  parent: Context,
): Span {
  const sdk = tracer as SdkTracerLike;
  const { ids } = sampling;
  // startSpan is synchronous: nothing else runs on this tracer before the generator is put back.
  sdk._idGenerator = { generateTraceId: () => traceId, generateSpanId: () => ids.generateSpanId() };
  try {
    return tracer.startSpan(name, options, parent);
  } finally {
    sdk._idGenerator = ids;
  }
}
