import { Cluster } from 'ioredis';
import type { ValkeyClient } from '../connection/create-client.js';
import { fieldsToRecord } from '../envelope/envelope.js';
import { parsePriority, priorityChannel, raisedPriorityKeys } from '../envelope/priority.js';
import { announce } from '../signals/announce.js';
import type { QueueKeys } from '../utils/keys.util.js';
import { fieldsToListElement } from '../envelope/list-element.js';
import { isRedrivable } from './dead-letter.decoder.js';

/** Where a dead letter goes back to: the queue's stream, or a list (the one it was read from). @internal */
export type RedriveDestination = { transport: 'stream' } | { transport: 'list'; key: string };

/** A dead-letter entry chosen for redrive. @internal */
export interface RedriveCandidate {
  /** Its id in the dead-letter stream. */
  entryId: string;
  /** Envelope id: whose idempotency marker to clear. */
  id: string;
  fields: readonly string[];
  destination: RedriveDestination;
}

/**
 * Fields a worker adds to a dead letter, and `firstAttempt` (a redriven message starts with a fresh
 * retry budget): a redriven message goes back without them.
 */
const DEAD_ONLY = new Set(['reason', 'error', 'attempts', 'failedAt', 'sourceId', 'stack', 'firstAttempt']);
/** A stream entry id: the `sourceId` of a dead letter from the stream transport. */
const STREAM_ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * Where a dead letter goes back to. With `transport` given, the key layout's stream or list of the
 * queue. Without it, where the message came from: a dead letter of the stream transport has the
 * stream entry id as `sourceId` (or none, from older versions); one of the list transport has the
 * list key it was read from (the key layout's, or a worker's queueNamer key). On Cluster a list key
 * without the queue's hash tag cannot be written together with the dead-letter stream: undefined
 * (the entry stays). Undefined too for an entry that is not a full envelope. @internal
 */
export function redriveDestination(
  fields: readonly string[],
  keys: QueueKeys,
  transport: 'stream' | 'list' | undefined,
  cluster: boolean,
): RedriveDestination | undefined {
  const record = fieldsToRecord(fields);
  if (!isRedrivable(record)) return undefined;
  if (transport === 'stream') return { transport: 'stream' };
  if (transport === 'list') return { transport: 'list', key: keys.list };
  const source = record.sourceId;
  if (source === undefined || source === '' || STREAM_ENTRY_ID.test(source)) return { transport: 'stream' };
  if (cluster && !source.includes(keys.tag)) return undefined;
  return { transport: 'list', key: source };
}

/**
 * The list element a dead letter goes back as: its envelope fields with `attempt` 1, without the
 * dead-letter fields and `firstAttempt`, without an `expiresAt` already past (redrive.lua's rules for streams);
 * the payload string is copied as is. @internal
 */
export function redriveElement(fields: readonly string[], now: number): string {
  const kept: string[] = [];
  let attempt = false;
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const [name, value] = [fields[index], fields[index + 1]];
    if (DEAD_ONLY.has(name) || name === 'raw') continue;
    if (name === 'expiresAt' && /^\d+$/.test(value) && Number(value) <= now) continue;
    if (name === 'attempt') attempt = true;
    kept.push(name, name === 'attempt' ? '1' : value);
  }
  if (!attempt) kept.push('attempt', '1');
  return fieldsToListElement(kept);
}

/**
 * Moves candidates back, one script call per destination: redrive.lua for the stream (it rebuilds
 * the entry itself), redrive-list.lua per list key (with the elements built here). Each script
 * re-checks that the entry is still in the dead-letter stream. Resolves how many moved. @internal
 */
export async function moveDeadLetters(
  client: ValkeyClient,
  keys: QueueKeys,
  batch: readonly RedriveCandidate[],
): Promise<number> {
  const groups = new Map<string, RedriveCandidate[]>();
  for (const candidate of batch) {
    const { destination } = candidate;
    const group = destination.transport === 'stream' ? '' : destination.key;
    groups.set(group, [...(groups.get(group) ?? []), candidate]);
  }
  let moved = 0;
  for (const [list, candidates] of groups) {
    const markers = candidates.map(({ id }) => keys.done(id));
    const statuses =
      list === ''
        ? await client.vqRedrive(
            13 + candidates.length,
            keys.dead,
            keys.stream,
            keys.stats,
            ...markers,
            ...raisedPriorityKeys(keys.stream),
            Date.now(),
            ...candidates.map(({ entryId }) => entryId),
          )
        : await client.vqRedriveList(
            13 + candidates.length,
            keys.dead,
            list,
            keys.stats,
            ...markers,
            ...raisedPriorityKeys(list),
            ...candidates.flatMap(({ entryId, fields }) => [entryId, redriveElement(fields, Date.now())]),
          );
    moved += statuses.filter((status) => Number(status) === 1).length;
    await announceRedrivenPriorities(client, list === '' ? keys.stream : list, candidates, statuses);
  }
  return moved;
}

/** Tells idle workers about the priorities (above 0) of the entries moved, so they read those keys at once. */
async function announceRedrivenPriorities(
  client: ValkeyClient,
  base: string,
  candidates: readonly RedriveCandidate[],
  statuses: readonly unknown[],
): Promise<void> {
  const priorities = new Set<number>();
  candidates.forEach(({ fields }, index) => {
    const priority = parsePriority(fieldsToRecord(fields).priority);
    if (Number(statuses[index]) === 1 && priority) priorities.add(priority);
  });
  for (const priority of priorities) await announce(client, priorityChannel(base), String(priority));
}

/** Whether `client` is a Cluster client (list keys then need the queue's hash tag). @internal */
export const isClusterClient = (client: ValkeyClient): boolean => client instanceof Cluster;
