import type { QueueGroupStats, QueueStats } from '../interfaces/queue-stats.interface.js';

/** The replies `QueueAdmin.stats()` reads in one pipeline, before interpretation. @internal */
export interface RawQueueStats {
  queue: string;
  streamLength: number;
  /** `XINFO GROUPS` reply: one flat `[field, value, ...]` array per group; `[]` without a stream. */
  groups: unknown[];
  deadLetters: number;
  counters: Record<string, string>;
  delayed: number;
  paused: boolean;
  listLength: number;
}

const COUNTERS = ['processed', 'failed', 'retried', 'dead', 'broken', 'expired', 'redriven'] as const;

/** Turns the raw replies into `QueueStats`, estimating a lag the server could not compute. @internal */
export function toQueueStats(raw: RawQueueStats): QueueStats {
  const groups = raw.groups.map((reply) => toGroupStats(reply, raw.streamLength));
  const lag = groups.reduce((max, group) => Math.max(max, group.lag), 0);
  const counters = Object.fromEntries(COUNTERS.map((name) => [name, counter(raw.counters[name])])) as Record<
    (typeof COUNTERS)[number],
    number
  >;
  const length = (groups.length > 0 ? lag : raw.streamLength) + raw.listLength;
  return {
    queue: raw.queue,
    length,
    // Priority 0 only here: admin/priority-stats.ts adds the raised priorities.
    waitingByPriority: length > 0 ? { 0: length } : {},
    pending: groups.reduce((sum, group) => sum + group.pending, 0),
    lag,
    consumers: groups.reduce((sum, group) => sum + group.consumers, 0),
    deadLetters: raw.deadLetters,
    ...counters,
    delayed: raw.delayed,
    paused: raw.paused,
    streamLength: raw.streamLength,
    groups,
  };
}

function toGroupStats(reply: unknown, streamLength: number): QueueGroupStats {
  const fields = new Map<string, unknown>();
  if (Array.isArray(reply)) {
    for (let index = 0; index + 1 < reply.length; index += 2)
      fields.set(String(reply[index]), reply[index + 1]);
  }
  const pending = toCount(fields.get('pending')) ?? 0;
  // Redis 7.0+/Valkey report `lag`, but as nil when deleted entries lie ahead of the group.
  const exactLag = toCount(fields.get('lag'));
  return {
    name: String(fields.get('name') ?? ''),
    consumers: toCount(fields.get('consumers')) ?? 0,
    pending,
    lag: exactLag ?? Math.max(0, streamLength - pending),
    lagEstimated: exactLag === undefined,
    lastDeliveredId: String(fields.get('last-delivered-id') ?? '0-0'),
  };
}

function toCount(value: unknown): number | undefined {
  const count = typeof value === 'string' && value !== '' ? Number(value) : value;
  return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : undefined;
}

function counter(value: string | undefined): number {
  return toCount(value) ?? 0;
}
