import type { HistoryPool } from '../interfaces/history-options.interface.js';
import { eventOrder, FINAL_TYPES, STATE_AFTER, type HistoryEvent } from './history-event.js';

interface InsertedRow {
  event_id: string;
}

/** What one batch changes of one message row. */
interface MessageChange {
  id: string;
  state?: string;
  lastEvent: string;
  priority?: number;
  labels?: Record<string, string>;
  attempts: number;
  createdMs: number;
  updatedMs: number;
  finishedMs?: number;
  error?: string;
  payload?: Buffer;
}

/**
 * Writes one batch of one queue's events in one transaction: the events with a multi-row INSERT ...
 * ON CONFLICT DO NOTHING on (queue, event id), then the message rows from only the events that were
 * new, so a batch written twice (a writer that crashed before its XACK) changes nothing the second
 * time. Message rows take the state of their latest event by stream order, whatever order batches
 * arrive in. @internal
 */
export async function writeHistoryBatch(
  pool: HistoryPool,
  schema: string,
  queue: string,
  events: readonly HistoryEvent[],
  payloadBytes = Infinity,
): Promise<number> {
  if (events.length === 0) return 0;
  const client = await pool.connect();
  quietOnServerLoss(client);
  let broken: unknown;
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      `INSERT INTO ${schema}.events (queue, event_id, at_ms, message_id, type, attempt, error, detail)
       SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::text[], $8::jsonb[])
       ON CONFLICT DO NOTHING RETURNING event_id`,
      [
        queue,
        events.map((event) => event.eventId),
        events.map((event) => event.atMs),
        events.map((event) => event.messageId),
        events.map((event) => event.type),
        events.map((event) => event.attempt ?? null),
        events.map((event) => event.error ?? null),
        events.map((event) => (event.detail ? JSON.stringify(event.detail) : null)),
      ],
    );
    const inserted = new Set((rows as InsertedRow[]).map((row) => row.event_id));
    const changes = messageChanges(
      events.filter((event) => inserted.has(event.eventId)),
      payloadBytes,
    );
    if (changes.length > 0) await upsertMessages(client, schema, queue, changes);
    await client.query('COMMIT');
    return inserted.size;
  } catch (error) {
    broken = error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // A connection that failed mid-transaction is discarded, not returned to the pool.
    client.release(broken === undefined ? undefined : true);
  }
}

/** States a late `started` (see upsertMessages) does not override. */
const SETTLED = new Set(['succeeded', 'dead', 'broken', 'expired', 'retrying']);

function messageChanges(events: readonly HistoryEvent[], payloadBytes: number): MessageChange[] {
  const byMessage = new Map<string, MessageChange>();
  // A batch is one XREADGROUP reply: its events are in stream order already.
  for (const event of events) {
    let change = byMessage.get(event.messageId);
    if (!change) {
      change = {
        id: event.messageId,
        lastEvent: '0',
        attempts: 0,
        createdMs: event.atMs,
        updatedMs: event.atMs,
      };
      byMessage.set(event.messageId, change);
    }
    const state = STATE_AFTER[event.type];
    if (
      state !== undefined &&
      !(state === 'active' && change.state !== undefined && SETTLED.has(change.state))
    ) {
      change.state = state;
      change.lastEvent = eventOrder(event.eventId);
      change.updatedMs = event.atMs;
    }
    if (event.priority !== undefined) change.priority = event.priority;
    if (event.labels !== undefined) change.labels = event.labels;
    if (event.attempt !== undefined) change.attempts = Math.max(change.attempts, event.attempt);
    if (event.error !== undefined) change.error = event.error;
    if (FINAL_TYPES.has(event.type)) change.finishedMs = event.atMs;
    if (event.payload !== undefined && change.payload === undefined) {
      const bytes = Buffer.from(event.payload, 'utf8');
      change.payload = bytes.length > payloadBytes ? bytes.subarray(0, payloadBytes) : bytes;
    }
  }
  // One lock order for every transaction, so concurrent batches never deadlock on message rows.
  return [...byMessage.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function upsertMessages(
  client: Awaited<ReturnType<HistoryPool['connect']>>,
  schema: string,
  queue: string,
  changes: readonly MessageChange[],
): Promise<void> {
  // A row first seen through an event that sets no state (a duplicate's) starts as waiting.
  // `started` is recorded outside the scripts (record-started.ts), so it may land after the outcome
  // of an attempt handled quickly (the outcome went on another connection): it never reopens a
  // finished message nor one waiting for its retry.
  const settled = [...SETTLED].map((state) => `'${state}'`).join(', ');
  const newer = `excluded.last_event > m.last_event AND NOT (excluded.state = 'active' AND m.state IN (${settled}))`;
  await client.query(
    `INSERT INTO ${schema}.messages AS m
       (queue, id, state, priority, labels, attempts, created_ms, updated_ms, finished_ms, error, error_lower,
        last_event, payload)
     SELECT $1, id, coalesce(state, 'waiting'), coalesce(priority, 0), coalesce(labels, '{}'), attempts,
            created_ms, updated_ms, finished_ms, error, lower(error), last_event, payload
       FROM unnest($2::text[], $3::text[], $4::int[], $5::jsonb[], $6::int[], $7::bigint[], $8::bigint[],
                   $9::bigint[], $10::text[], $11::numeric[], $12::bytea[])
         AS c(id, state, priority, labels, attempts, created_ms, updated_ms, finished_ms, error, last_event, payload)
     ON CONFLICT (queue, id) DO UPDATE SET
       state = CASE WHEN ${newer} THEN excluded.state ELSE m.state END,
       updated_ms = CASE WHEN ${newer} THEN excluded.updated_ms ELSE m.updated_ms END,
       last_event = greatest(m.last_event, excluded.last_event),
       priority = greatest(m.priority, excluded.priority),
       labels = CASE WHEN excluded.labels = '{}' THEN m.labels ELSE excluded.labels END,
       attempts = greatest(m.attempts, excluded.attempts),
       created_ms = least(m.created_ms, excluded.created_ms),
       finished_ms = CASE WHEN ${newer} THEN excluded.finished_ms ELSE m.finished_ms END,
       error = coalesce(CASE WHEN ${newer} THEN excluded.error END, m.error),
       error_lower = coalesce(CASE WHEN ${newer} THEN excluded.error_lower END, m.error_lower),
       payload = coalesce(m.payload, excluded.payload)`,
    [
      queue,
      changes.map((change) => change.id),
      changes.map((change) => change.state ?? null),
      changes.map((change) => change.priority ?? null),
      changes.map((change) => (change.labels ? JSON.stringify(change.labels) : null)),
      changes.map((change) => change.attempts),
      changes.map((change) => change.createdMs),
      changes.map((change) => change.updatedMs),
      changes.map((change) => change.finishedMs ?? null),
      changes.map((change) => change.error ?? null),
      changes.map((change) => change.lastEvent),
      changes.map((change) => change.payload ?? null),
    ],
  );
}

const quietClients = new WeakSet<object>();

/**
 * node-postgres emits 'error' on a checked-out client whose server went away (besides rejecting its
 * query); unheard, that event would crash the process. The query's rejection is what we act on.
 */
function quietOnServerLoss(client: object): void {
  const emitter = client as { on?: (event: 'error', listener: () => void) => unknown };
  if (quietClients.has(client) || typeof emitter.on !== 'function') return;
  quietClients.add(client);
  emitter.on('error', () => undefined);
}
