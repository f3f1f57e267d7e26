import type { ValkeyClient } from '../connection/create-client.js';
import { encodeDelayedBody } from '../envelope/delayed-body.js';
import { orderingKeysOf } from '../ordering/ordering-keys.js';
import type { QueueKeys } from '../utils/keys.util.js';

/** The tick a caller planned: its due score, the next tick (-1: ended) and the last tick fired. */
export interface PlannedTicks {
  name: string;
  due: number;
  next: number;
  last: number | string;
}

/**
 * Fires the planned ticks of a schedule with an ordering key (fire-ordered-schedule.lua): exactly
 * once across instances, each tick message appended to the key's ordered list, behind its earlier
 * messages. `messages`: each tick's stream fields. Resolves the messages appended (0: not ours).
 * @internal
 */
export async function fireOrderedTicks(
  client: ValkeyClient,
  keys: QueueKeys,
  ticks: PlannedTicks,
  orderingKey: string,
  messages: readonly (readonly string[])[],
): Promise<number> {
  const ordering = orderingKeysOf(keys);
  return client.vqFireOrderedSchedule(
    keys.schedules,
    keys.schedule(ticks.name),
    ordering.ready,
    ordering.holders,
    ordering.parked,
    ticks.name,
    ticks.due,
    ticks.next,
    ticks.last,
    ordering.listPrefix,
    orderingKey,
    ...messages.map((fields) => encodeDelayedBody(fields)),
  );
}

/**
 * Appends one tick message now to the key's ordered list (a manual trigger: no compare-and-set,
 * the schedule's next tick and run count stay), with ordered-send.lua. @internal
 */
export async function appendOrderedTick(
  client: ValkeyClient,
  keys: QueueKeys,
  orderingKey: string,
  id: string,
  fields: readonly string[],
): Promise<void> {
  const ordering = orderingKeysOf(keys);
  // No idempotency marker and no dedup key: their key arguments are only placeholders.
  const unused = keys.sent(id);
  await client.vqOrderedSend(
    ordering.ready,
    ordering.holders,
    ordering.parked,
    unused,
    unused,
    ordering.listPrefix,
    0,
    0,
    id,
    '',
    '',
    '',
    '',
    2,
    0,
    orderingKey,
    encodeDelayedBody(fields),
  );
}
