import {
  context,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TraceState,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { ValkeyQueueError } from '../../errors/valkey-queue.error.js';
import type { QueueMessage } from '../../interfaces/queue-message.interface.js';
import * as attr from './messaging-attributes.js';
import {
  decideRoot,
  drawRoot,
  rootSamplingOf,
  startRootWithTraceId,
  type RootSampling,
} from './root-sampling.js';
import { randomSpanId } from './random-ids.js';
import {
  unsampledChild,
  unsampledChildContext,
  unsampledParentPolicy,
  type UnsampledParentPolicy,
} from './unsampled-parent.js';
import {
  injectsTraceContextOnly,
  isTracingSuppressed,
  knownPropagation,
  unsampledTraceContextHeaders,
  unsampledRemoteTraceId,
} from './w3c-propagation.js';

/** The instrumentation scope of every span the library starts. */
export const TRACER_NAME = 'nestjs-valkey-queue';

/** What the API returns while no SDK is registered (a shared no-op instance). */
const NOOP_PROVIDER: TracerProvider = new ProxyTracerProvider().getDelegate();
let cached:
  | {
      provider: TracerProvider;
      tracer: Tracer;
      unsampled: UnsampledParentPolicy;
      /** Set when a root span's sampling can be decided before it is built (see root-sampling.ts). */
      root: RootSampling | undefined;
    }
  | undefined;

/**
 * The library's tracer, or undefined while no OpenTelemetry SDK is registered: then the sender and
 * the workers skip every tracing step (no span objects, no header injection). Checked per call, so
 * an SDK registered after the module started is picked up. @internal
 */
export function activeTracer(): Tracer | undefined {
  return activeSdk()?.tracer;
}

/** The library's tracer and what its sampler does with unsampled parents, or undefined without an SDK. */
function activeSdk(): typeof cached {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (provider === NOOP_PROVIDER) return undefined;
  if (cached?.provider !== provider) {
    const tracer = provider.getTracer(TRACER_NAME);
    const unsampled = unsampledParentPolicy(tracer);
    cached = { provider, tracer, unsampled, root: rootSamplingOf(tracer) };
  }
  return cached;
}

/** The span names and creation attributes of one queue, built once: every message would otherwise allocate them. */
interface QueueSpanNames {
  send: string;
  /** The options of a single send's span (the SDK copies what it keeps, so they can be shared). */
  sendOptions: SpanOptions;
  process: string;
  processAttributes: Attributes;
}

/** Bounded, as an app may name queues at run time. */
const MAX_CACHED_QUEUES = 1024;
const namesByQueue = new Map<string, QueueSpanNames>();

function namesOf(queue: string): QueueSpanNames {
  let names = namesByQueue.get(queue);
  if (names) return names;
  // Samplers see what they may choose by (system, destination, operation), so these are set at creation.
  names = {
    send: `send ${queue}`,
    sendOptions: {
      kind: SpanKind.PRODUCER,
      attributes: {
        [attr.MESSAGING_SYSTEM]: attr.MESSAGING_SYSTEM_VALKEY,
        [attr.MESSAGING_DESTINATION_NAME]: queue,
        [attr.MESSAGING_OPERATION_TYPE]: 'send',
        [attr.MESSAGING_OPERATION_NAME]: 'send',
      },
    },
    process: `process ${queue}`,
    processAttributes: {
      [attr.MESSAGING_SYSTEM]: attr.MESSAGING_SYSTEM_VALKEY,
      [attr.MESSAGING_DESTINATION_NAME]: queue,
      [attr.MESSAGING_OPERATION_TYPE]: 'process',
      [attr.MESSAGING_OPERATION_NAME]: 'process',
    },
  };
  if (namesByQueue.size >= MAX_CACHED_QUEUES) namesByQueue.clear();
  namesByQueue.set(queue, names);
  return names;
}

/** A span the library started, with its context. @internal */
export class QueueSpan {
  private readonly context: Context;

  constructor(
    readonly span: Span,
    parent: Context,
  ) {
    this.context = trace.setSpan(parent, span);
  }

  /** Runs `fn(...args)` with this span active, so spans started inside are its children. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    return context.with(this.context, fn, undefined, ...args);
  }

  /** `headers` plus this span's context (W3C `traceparent`/`tracestate` with the usual propagator); explicit headers win. */
  inject(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
    const carrier: Record<string, string> = {};
    propagation.inject(this.context, carrier);
    return headers ? { ...carrier, ...headers } : carrier;
  }

  /** Names the message of a single send (known once its envelope is built). */
  messageId(id: string): void {
    this.span.setAttribute(attr.MESSAGING_MESSAGE_ID, id);
  }

  /** Ends the span: status error with the exception when `error` is set. */
  end(error?: unknown): void {
    if (error !== undefined) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.span.recordException(failure);
      this.span.setAttribute(
        attr.ERROR_TYPE,
        failure instanceof ValkeyQueueError ? failure.code : failure.name || 'Error',
      );
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    }
    this.span.end();
  }
}

/** What the sender does with the span of one send call. @internal */
export interface SendSpan {
  /** `headers` plus the span's context (W3C `traceparent`/`tracestate` with the usual propagator); explicit headers win. */
  inject(headers: Readonly<Record<string, string>> | undefined): Record<string, string>;
  /** Names the message of a single send (known once its envelope is built). */
  messageId(id: string): void;
  /** Ends the span: status error with the exception when `error` is set. */
  end(error?: unknown): void;
}

/**
 * The send span of a trace the sampler drops: the non-recording span the SDK would return, kept as
 * its span context alone. Nothing is recorded, so only its context (in the headers) matters.
 */
class UnsampledSend implements SendSpan {
  constructor(
    private readonly traceId: string,
    private readonly spanId: string,
    private readonly traceState: TraceState | undefined,
    private readonly parent: Context,
    /** The ids were drawn here: valid lowercase hex. */
    private readonly checked: boolean,
  ) {}

  inject(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
    let carrier: Record<string, string>;
    if (injectsTraceContextOnly(knownPropagation(), this.parent)) {
      carrier = unsampledTraceContextHeaders(this.traceId, this.spanId, this.traceState, this.checked);
    } else {
      const { traceId, spanId, traceState } = this;
      const span = trace.wrapSpanContext({ traceId, spanId, traceFlags: TraceFlags.NONE, traceState });
      carrier = {};
      propagation.inject(trace.setSpan(this.parent, span), carrier);
    }
    return headers ? { ...carrier, ...headers } : carrier;
  }

  messageId(): void {}

  end(): void {}
}

/** The creation options of a send span: shared for a single send, with the message count for a batch. */
const sendOptions = (names: QueueSpanNames, messages: number): SpanOptions =>
  messages === 1
    ? names.sendOptions
    : {
        kind: SpanKind.PRODUCER,
        attributes: { ...names.sendOptions.attributes, [attr.MESSAGING_BATCH_MESSAGE_COUNT]: messages },
      };

/**
 * A PRODUCER span `send <queue>` for one send call (one span per `send`/`sendBatch` call, child
 * of the active context), or undefined without an SDK. @internal
 */
export function startSendSpan(queue: string, messages: number): SendSpan | undefined {
  const sdk = activeSdk();
  if (!sdk) return undefined;
  const parent = context.active();
  const parentSpan = trace.getSpanContext(parent);
  // Under an unsampled parent whose children the sampler drops: the span the SDK would return, built directly.
  const dropped = unsampledChildContext(sdk.unsampled, parentSpan);
  if (dropped) return new UnsampledSend(dropped.traceId, dropped.spanId, dropped.traceState, parent, false);
  const names = namesOf(queue);
  // A root span under a sampler that decides by trace id alone: decided before anything is built.
  const { root } = sdk;
  if (parentSpan === undefined && root && !isTracingSuppressed(parent)) {
    let traceId: string;
    if (root.upperBound !== undefined) {
      const drawn = drawRoot(root.upperBound);
      if (!drawn.sampled) return new UnsampledSend(drawn.traceId, drawn.spanId, undefined, parent, true);
      traceId = drawn.traceId;
    } else {
      const decision = decideRoot(root, parent, names.send, SpanKind.PRODUCER, names.sendOptions.attributes!);
      if (decision.dropped) {
        const spanId = root.ids.generateSpanId();
        return new UnsampledSend(decision.traceId, spanId, decision.traceState, parent, false);
      }
      traceId = decision.traceId;
    }
    const options = sendOptions(names, messages);
    const span = startRootWithTraceId(sdk.tracer, root, traceId, names.send, options, parent);
    return new QueueSpan(span, parent);
  }
  const options = sendOptions(names, messages);
  return new QueueSpan(sdk.tracer.startSpan(names.send, options, parent), parent);
}

/** Who consumes: for the consumer span's attributes. @internal */
export interface ConsumerTarget {
  group: string;
  consumer: string;
}

/**
 * A CONSUMER span `process <queue>` around one @OnMessage call, or undefined without an SDK. Its
 * parent is the producer's context from the message headers (a new trace without one), and it
 * links to it, as the messaging conventions recommend. @internal
 */
export function startProcessSpan(message: QueueMessage, target: ConsumerTarget): QueueSpan | undefined {
  const sdk = activeSdk();
  if (!sdk) return undefined;
  if (sdk.unsampled.remote) {
    // The common unsampled case read straight from the headers: the same span as below, without
    // the propagator's regular expressions and context objects.
    const propagation = knownPropagation();
    const traceId = propagation && unsampledRemoteTraceId(propagation, message.headers);
    if (traceId) {
      const span = trace.wrapSpanContext({ traceId, spanId: randomSpanId(), traceFlags: TraceFlags.NONE });
      return new QueueSpan(span, ROOT_CONTEXT);
    }
  }
  const parent = propagation.extract(ROOT_CONTEXT, message.headers);
  const producer = trace.getSpanContext(parent);
  // The producer's trace was not sampled and the sampler follows it: the SDK would return a
  // non-recording span (nothing exported either way), here built without its span start.
  const dropped = unsampledChild(sdk.unsampled, producer);
  if (dropped) return new QueueSpan(dropped, parent);
  const links: Link[] | undefined = producer ? [{ context: producer }] : undefined;
  // Samplers see what they may choose by (system, destination, operation); the rest is set only on
  // spans that record, since an SDK sampling a few percent of traces would discard it for the others.
  const names = namesOf(message.queue);
  const span = sdk.tracer.startSpan(
    names.process,
    { kind: SpanKind.CONSUMER, links, attributes: names.processAttributes },
    parent,
  );
  if (span.isRecording()) {
    span.setAttributes({
      [attr.MESSAGING_MESSAGE_ID]: message.id,
      [attr.MESSAGING_CONSUMER_GROUP_NAME]: target.group,
      [attr.MESSAGING_CLIENT_ID]: target.consumer,
      [attr.MESSAGING_VALKEY_ATTEMPT]: message.attempt,
    });
  }
  return new QueueSpan(span, parent);
}
