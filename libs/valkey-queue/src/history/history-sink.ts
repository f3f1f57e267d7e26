import type { HistoryPool } from '../interfaces/history-options.interface.js';
import { eventOrder, FINAL_TYPES, STATE_AFTER, type HistoryEvent } from './history-event.js';

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
 * Writes one batch of one queue's events in ONE statement (so one round trip and one transaction):
 * the events with a multi-row INSERT ... ON CONFLICT DO NOTHING on (queue, event id), and the message
 * rows of the messages with an event that was new (a data-modifying CTE), so a batch written twice (a
 * writer that crashed before its XACK) adds nothing the second time. A message's change is computed
 * from all its events in the batch: applying one again is a no-op (the upsert keeps whichever state
 * has the later stream order), so events already written that share a batch with new ones do no harm.
 * Message rows take the state of their latest event by stream order, whatever order batches arrive
 * in. Returns the events written now. @internal
 */
export async function writeHistoryBatch(
  pool: HistoryPool,
  schema: string,
  queue: string,
  events: readonly HistoryEvent[],
  payloadBytes = Infinity,
): Promise<number> {
  if (events.length === 0) return 0;
  const changes = messageChanges(events, payloadBytes);
  const client = await pool.connect();
  quietOnServerLoss(client);
  let broken: unknown;
  try {
    const { rows } = await client.query(
      `WITH inserted AS (
         INSERT INTO ${schema}.events (queue, event_id, at_ms, message_id, type, attempt, error, detail)
         SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::text[], $8::jsonb[])
         ON CONFLICT DO NOTHING RETURNING message_id
       ), upserted AS (${upsertMessagesSql(schema, 8)}
           WHERE c.id IN (SELECT message_id FROM inserted)
           ${upsertMessagesConflict}
         RETURNING 1
       )
       SELECT count(*)::int AS written FROM inserted`,
      [
        queue,
        events.map((event) => event.eventId),
        events.map((event) => event.atMs),
        events.map((event) => event.messageId),
        events.map((event) => event.type),
        events.map((event) => event.attempt ?? null),
        events.map((event) => event.error ?? null),
        events.map((event) => (event.detail ? JSON.stringify(event.detail) : null)),
        ...messageColumns(changes),
      ],
    );
    return (rows[0] as { written: number }).written;
  } catch (error) {
    broken = error;
    throw error;
  } finally {
    // A connection that failed mid-statement is discarded, not returned to the pool.
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

// A row first seen through an event that sets no state (a duplicate's) starts as waiting.
// `started` is recorded outside the scripts (record-started.ts), so it may land after the outcome
// of an attempt handled quickly (the outcome went on another connection): it never reopens a
// finished message nor one waiting for its retry.
const settled = [...SETTLED].map((state) => `'${state}'`).join(', ');
const newer = `excluded.last_event > m.last_event AND NOT (excluded.state = 'active' AND m.state IN (${settled}))`;

/** The message upsert's INSERT ... SELECT (its parameters after the first `offset`); a WHERE may follow. */
const upsertMessagesSql = (schema: string, offset: number): string => {
  const $ = (index: number): string => `$${offset + index}`;
  return `INSERT INTO ${schema}.messages AS m
       (queue, id, state, priority, labels, attempts, created_ms, updated_ms, finished_ms, error, error_lower,
        last_event, payload)
     SELECT $1, id, coalesce(state, 'waiting'), coalesce(priority, 0), coalesce(labels, '{}'), attempts,
            created_ms, updated_ms, finished_ms, error, lower(error), last_event, payload
       FROM unnest(${$(1)}::text[], ${$(2)}::text[], ${$(3)}::int[], ${$(4)}::jsonb[], ${$(5)}::int[], ${$(6)}::bigint[], ${$(7)}::bigint[],
                   ${$(8)}::bigint[], ${$(9)}::text[], ${$(10)}::numeric[], ${$(11)}::bytea[])
         AS c(id, state, priority, labels, attempts, created_ms, updated_ms, finished_ms, error, last_event, payload)`;
};

const upsertMessagesConflict = `ON CONFLICT (queue, id) DO UPDATE SET
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
       payload = coalesce(m.payload, excluded.payload)`;

/** The 11 array parameters of upsertMessagesSql, in order. */
const messageColumns = (changes: readonly MessageChange[]): unknown[] => [
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
];

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
