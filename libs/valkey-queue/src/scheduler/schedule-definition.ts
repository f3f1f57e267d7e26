import { labelsProblem } from '../envelope/labels.js';
import { isPriority, PRIORITY_RULE } from '../envelope/priority.js';
import { encodePayload } from '../codec/encode-payload.js';
import type { PayloadCodec } from '../codec/payload-codec.interface.js';
import type { QueueTransport } from '../interfaces/queue-transport.interface.js';
import { InvalidScheduleError } from '../errors/invalid-schedule.error.js';
import { assertQueueName } from '../utils/keys.util.js';
import { MAX_ORDERING_KEY_BYTES } from '../ordering/ordering-key.js';
import { isPlainObject } from '../utils/objects.util.js';
import { scheduleTiming, type ScheduleTiming } from './schedule-timing.js';
import type { ScheduleDefinition } from '../interfaces/schedule.interface.js';

/** A definition checked and reduced to what is stored. @internal */
export interface NormalizedSchedule {
  name: string;
  queue: string;
  transport: QueueTransport;
  payload: string;
  headers: Record<string, string>;
  /** Absent when the ticks carry no labels. */
  labels?: Record<string, string>;
  /** 1..10; absent for priority 0. */
  priority?: number;
  /** Absent when the ticks are unordered. */
  orderingKey?: string;
  timing: ScheduleTiming;
  /** Canonical JSON of the definition: equal text means an unchanged schedule. */
  canonical: string;
}

/**
 * Validates a definition and encodes its payload. Throws `InvalidScheduleError` (or the codec's
 * `SerializationError` / `PayloadTooLargeError`, or `InvalidQueueNameError`) before anything is written.
 */
export function normalizeSchedule(
  definition: ScheduleDefinition,
  nowMs: number,
  codec: PayloadCodec,
  maxPayloadBytes: number,
): NormalizedSchedule {
  if (!isPlainObject(definition))
    throw new InvalidScheduleError(undefined, 'the definition must be an object');
  const { name } = definition;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (typeof name !== 'string' || name.length === 0 || name.length > 200 || /[\s\u0000-\u001f]/.test(name)) {
    throw new InvalidScheduleError(name, 'name must be 1-200 characters without whitespace');
  }
  assertQueueName(definition.queue);
  const transport = definition.transport ?? 'stream';
  if (transport !== 'stream' && transport !== 'list') {
    throw new InvalidScheduleError(name, `transport must be 'stream' or 'list'`);
  }
  const headers = definition.headers ?? {};
  if (!isPlainObject(headers) || Object.values(headers).some((value) => typeof value !== 'string')) {
    throw new InvalidScheduleError(name, 'headers must be an object of strings');
  }
  const labels = definition.labels ?? {};
  const problem = labelsProblem(labels);
  if (problem) throw new InvalidScheduleError(name, `${problem.field} must be ${problem.expected}`);
  const labelled = Object.keys(labels).length > 0 ? { labels: { ...labels } } : {};
  const priority = definition.priority ?? 0;
  if (!isPriority(priority)) throw new InvalidScheduleError(name, `priority must be ${PRIORITY_RULE}`);
  // Only a raised priority enters the definition: schedules stored before priorities stay unchanged.
  const prioritized = priority > 0 ? { priority } : {};
  const ordered = orderingOf(definition, name, transport, priority);
  const timing = scheduleTiming(definition, nowMs);
  const payload = encodePayload(codec, definition.payload, maxPayloadBytes);
  const { anchor: _anchor, ...when } = timing; // the anchor is when it was stored, not part of what was asked
  const canonical = JSON.stringify({
    queue: definition.queue,
    transport,
    ...when,
    payload,
    headers,
    ...labelled,
    ...prioritized,
    ...ordered,
  });
  return {
    name,
    queue: definition.queue,
    transport,
    payload,
    headers,
    ...labelled,
    ...prioritized,
    ...ordered,
    timing,
    canonical,
  };
}

/** `{ orderingKey }` when the ticks are ordered (absent otherwise: older schedules stay unchanged). */
function orderingOf(
  definition: ScheduleDefinition,
  name: string,
  transport: QueueTransport,
  priority: number,
): { orderingKey?: string } {
  const { orderingKey } = definition;
  if (orderingKey === undefined) return {};
  if (
    typeof orderingKey !== 'string' ||
    orderingKey.length === 0 ||
    Buffer.byteLength(orderingKey, 'utf8') > MAX_ORDERING_KEY_BYTES
  ) {
    throw new InvalidScheduleError(
      name,
      `orderingKey must be a non-empty string of at most ${MAX_ORDERING_KEY_BYTES} UTF-8 bytes`,
    );
  }
  if (transport !== 'stream') {
    throw new InvalidScheduleError(name, 'orderingKey needs the stream transport (docs/ordering.md)');
  }
  if (priority !== 0) {
    throw new InvalidScheduleError(name, 'orderingKey and a priority exclude each other (send order rules)');
  }
  return { orderingKey };
}
