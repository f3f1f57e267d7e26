import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';

/** Reads a `.lua` file beside this module (the build copies `.lua` files into dist). */
const readLua = (path: string): string => readFileSync(new URL(`./${path}`, import.meta.url), 'utf8');

const INCLUDE = /^--#include ([a-z0-9-]+)[ \t]*$/gm;

/**
 * A script with its `--#include <name>` lines replaced by `fragments/<name>.lua`: the Lua functions
 * several scripts share (envelope bodies, dead letters, retry scheduling, ...) are written once and
 * composed into each script at load, so every script is still one EVAL/EVALSHA. A fragment may
 * include others; each is placed once per script, where it is first asked for.
 * @internal
 */
export function composeLua(text: string, readFragment: (name: string) => string): string {
  const placed = new Set<string>();
  const expand = (source: string, chain: readonly string[]): string =>
    source.replace(INCLUDE, (_line, name: string) => {
      if (chain.includes(name))
        throw new Error(`Lua fragment '${name}' includes itself (${[...chain, name].join(' -> ')})`);
      if (placed.has(name)) return `-- (fragment ${name} is above)`;
      placed.add(name);
      return expand(readFragment(name).trimEnd(), [...chain, name]);
    });
  return expand(text, []);
}

const load = (file: string): string => composeLua(readLua(file), (name) => readLua(`fragments/${name}.lua`));

/**
 * Every Lua script the library runs; the key is the ioredis command name (`vq` prefix, so it never
 * clashes with another library's). Defined once per connection; ioredis sends EVALSHA and falls
 * back to EVAL after a NOSCRIPT (server restart, failover), so scripts survive both.
 * @internal
 */
export const LUA_SCRIPTS = {
  vqPromoteDue: { numberOfKeys: 4, lua: load('promote-due.lua') },
  // The same script with its 10 priority routing keys: (numberOfKeys, ...keys, ...args).
  vqPromoteDueRouted: { lua: load('promote-due.lua') },
  vqUpsertSchedule: { numberOfKeys: 2, lua: load('upsert-schedule.lua') },
  vqFireSchedule: { numberOfKeys: 3, lua: load('fire-schedule.lua') },
  vqRemoveSchedule: { numberOfKeys: 2, lua: load('remove-schedule.lua') },
  vqScheduledRunLock: { numberOfKeys: 1, lua: load('scheduled-run-lock.lua') },
  vqSend: { numberOfKeys: 5, lua: load('send.lua') },
  // Variable key count (one idempotency marker per message): (numberOfKeys, ...keys, ...args).
  vqSendMany: { lua: load('send-many.lua') },
  vqSendRetry: { numberOfKeys: 3, lua: load('send-retry.lua') },
  // Variable key count (one idempotency marker per entry): called as (numberOfKeys, ...keys, ...args).
  vqRedrive: { lua: load('redrive.lua') },
  // Workers (variable key count for vqAck: one idempotency marker per entry).
  vqAck: { lua: load('ack.lua') },
  vqRetry: { numberOfKeys: 4, lua: load('retry.lua') },
  vqMoveToDead: { numberOfKeys: 3, lua: load('move-to-dead.lua') },
  vqRefreshClaims: { numberOfKeys: 1, lua: load('refresh-claims.lua') },
  vqClaimIdle: { numberOfKeys: 1, lua: load('claim-idle.lua') },
  vqClaimOwn: { numberOfKeys: 1, lua: load('claim-own.lua') },
  vqDeleteIdleConsumer: { numberOfKeys: 1, lua: load('delete-idle-consumer.lua') },
  vqTrimAcked: { numberOfKeys: 1, lua: load('trim-acked.lua') },
  // List-transport workers (variable key count: markers, reap candidates, redrive markers).
  vqListTake: { numberOfKeys: 5, lua: load('list-take.lua') },
  vqListAck: { lua: load('list-ack.lua') },
  vqListRetry: { numberOfKeys: 5, lua: load('list-retry.lua') },
  vqListMoveToDead: { numberOfKeys: 4, lua: load('list-move-to-dead.lua') },
  vqListHandBack: { numberOfKeys: 3, lua: load('list-hand-back.lua') },
  // The same script with its 10 priority routing keys: (numberOfKeys, ...keys, ...args).
  vqListHandBackRouted: { lua: load('list-hand-back.lua') },
  vqListReap: { lua: load('list-reap.lua') },
  vqListHeartbeat: { numberOfKeys: 3, lua: load('list-heartbeat.lua') },
  vqRedriveList: { lua: load('redrive-list.lua') },
  // Priorities (variable key count: one key per priority in use).
  vqReadPriorities: { lua: load('read-priorities.lua') },
  vqListTakePriorities: { lua: load('list-take-priorities.lua') },
  vqExistingKeys: { lua: load('existing-keys.lua') },
  // Stream ownership (variable key count for the batch renewal and the fenced write).
  vqTakeLease: { numberOfKeys: 5, lua: load('take-lease.lua') },
  vqRenewLeases: { lua: load('renew-leases.lua') },
  vqReleaseLease: { numberOfKeys: 4, lua: load('release-lease.lua') },
  vqHandBackLease: { numberOfKeys: 3, lua: load('hand-back-lease.lua') },
  vqAssertOwner: { numberOfKeys: 2, lua: load('assert-owner.lua') },
  vqFencedWrite: { lua: load('fenced-write.lua') },
  vqLbsDeadLetter: { numberOfKeys: 2, lua: load('lbs-dead-letter.lua') },
  // Per-key ordering (docs/ordering.md).
  vqOrderedSend: { numberOfKeys: 5, lua: load('ordered-send.lua') },
  vqOrderedTake: { numberOfKeys: 5, lua: load('ordered-take.lua') },
  vqOrderedAck: { numberOfKeys: 6, lua: load('ordered-ack.lua') },
  vqOrderedRetry: { numberOfKeys: 5, lua: load('ordered-retry.lua') },
  vqOrderedDead: { numberOfKeys: 7, lua: load('ordered-dead.lua') },
  vqOrderedRenew: { numberOfKeys: 2, lua: load('ordered-renew.lua') },
  vqOrderedHandBack: { numberOfKeys: 4, lua: load('ordered-hand-back.lua') },
  vqOrderedRelease: { numberOfKeys: 3, lua: load('ordered-release.lua') },
  vqFireOrderedSchedule: { numberOfKeys: 5, lua: load('fire-ordered-schedule.lua') },
} as const satisfies Record<string, { numberOfKeys?: number; lua: string }>;

/** The line of fragments/history-event.lua that keeps history off; withHistory() turns it on. */
const HISTORY_OFF = 'local historyOn = false';

const PAYLOADS_OFF = 'local historyPayloads = false';

/** What the history scripts record: events, and with `payloads` the payloads of sent messages. @internal */
export interface HistoryScriptOptions {
  payloads: boolean;
}

/** A composed script with its history events on (fragments/history-event.lua). @internal */
export const withHistory = (lua: string, { payloads }: HistoryScriptOptions): string => {
  const on = lua.replace(HISTORY_OFF, 'local historyOn = true');
  return payloads ? on.replace(PAYLOADS_OFF, 'local historyPayloads = true') : on;
};

/** Clients whose scripts record history events (those of a module configured with `history`). */
const historyClients = new WeakMap<object, HistoryScriptOptions>();

/**
 * Defines the history-recording variant of every script on `client` (and on every client
 * defineLuaScripts() is later given for which {@link historyScriptsOf} answers). @internal
 */
export function useHistoryScripts(
  client: ScriptHost,
  options: HistoryScriptOptions = { payloads: false },
): void {
  historyClients.set(client, options);
  defineLuaScripts(client);
}

/** What `client`'s scripts record for the history; undefined when they record nothing. @internal */
export const historyScriptsOf = (client: object): HistoryScriptOptions | undefined =>
  historyClients.get(client);

/** Whether `client` runs the history-recording scripts. @internal */
export const usesHistoryScripts = (client: object): boolean => historyClients.has(client);

/** The text of script `name` as `client` runs it (with or without history events). @internal */
export function scriptTextFor(client: object, name: keyof typeof LUA_SCRIPTS): string {
  const { lua } = LUA_SCRIPTS[name];
  const history = historyClients.get(client);
  return history ? withHistory(lua, history) : lua;
}

/** What registering scripts needs of a client: ioredis' `Redis` and `Cluster` both have it. */
export interface ScriptHost {
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
}

/** Registers every script on `client` as a custom command. */
export function defineLuaScripts(client: ScriptHost): void {
  const history = historyClients.get(client);
  for (const [name, script] of Object.entries(LUA_SCRIPTS))
    client.defineCommand(name, history ? { ...script, lua: withHistory(script.lua, history) } : script);
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /**
     * See ack.lua. Keys: stream, stats, then one done marker per entry when markerTtl > 0; args:
     * group, deleteOnAck '1'|'0', markerTtl, counter field ('' = none), noAck '1'|'0', entry ids.
     * Resolves the number acknowledged.
     */
    vqAck(numberOfKeys: number, ...keysAndArgs: (string | Buffer | number)[]): Result<number, Context>;
    /**
     * See retry.lua. Args: group, consumer, deleteOnAck, then per entry: entry id, envelope id,
     * delay ms, next attempt, first attempt, fallback body. Resolves one status per entry (1 scheduled, 0 skipped).
     */
    vqRetry(
      stream: string,
      delayed: string,
      bodies: string,
      stats: string,
      ...args: (string | number)[]
    ): Result<number[], Context>;
    /**
     * See move-to-dead.lua. Args: group, consumer, deleteOnAck, maxLen, noAck, then per entry: entry
     * id, reason, error, attempts, countFailure, stack, fallback body. Resolves one status per entry.
     */
    vqMoveToDead(
      stream: string,
      dead: string,
      stats: string,
      ...args: (string | number)[]
    ): Result<number[], Context>;
    /** See refresh-claims.lua. Resolves the entry ids no longer pending to this consumer. */
    vqRefreshClaims(
      stream: string,
      group: string,
      consumer: string,
      idleMs: number,
      ...entryIds: string[]
    ): Result<string[], Context>;
    /** See claim-idle.lua. Resolves `[nextCursor, [entryId, fields, deliveries][], deletedCount]`. */
    vqClaimIdle(
      stream: string,
      group: string,
      consumer: string,
      minIdleMs: number,
      cursor: string,
      count: number,
    ): Result<[string, [string, string[], number][], number], Context>;
    /** See claim-own.lua. Resolves `[lastId | '', [entryId, fields, deliveries][]]`. */
    vqClaimOwn(
      stream: string,
      group: string,
      consumer: string,
      cursor: string,
      count: number,
    ): Result<[string, [string, string[], number][]], Context>;
    /** See delete-idle-consumer.lua. Resolves 1 deleted, 0 unknown, -1 has pending, -2 not idle enough. */
    vqDeleteIdleConsumer(
      stream: string,
      group: string,
      consumer: string,
      minIdleMs: number,
    ): Result<number, Context>;
    /**
     * See trim-acked.lua. Args: ms of recent entries to keep (optional). Resolves the entries
     * removed, or -1 when the stream has no group.
     */
    vqTrimAcked(stream: string, keepMs?: number): Result<number, Context>;
    /**
     * See list-take.lua. Args: most elements, probe '1'|'0', consumer, list key name, heartbeat TTL.
     * Resolves `[probeDeliveries, element, deliveries, element, deliveries, ...]`.
     */
    vqListTake(
      list: string,
      inflight: string,
      deliveries: string,
      heartbeat: string,
      consumers: string,
      count: number,
      probe: '1' | '0',
      consumer: string,
      listName: string,
      heartbeatTtl: number,
    ): Result<(string | number)[], Context>;
    /** vqListTake with the elements as bytes (list elements are read byte for byte). */
    vqListTakeBuffer(
      list: string,
      inflight: string,
      deliveries: string,
      heartbeat: string,
      consumers: string,
      count: number,
      probe: '1' | '0',
      consumer: string,
      listName: string,
      heartbeatTtl: number,
    ): Result<(Buffer | number)[], Context>;
    /**
     * See list-ack.lua. Keys: in-flight, stats, deliveries, then one done marker per element when
     * markerTtl > 0; args: markerTtl, counter field ('' = none), elements. Resolves the number removed.
     */
    vqListAck(numberOfKeys: number, ...keysAndArgs: (string | Buffer | number)[]): Result<number, Context>;
    /**
     * See list-retry.lua. Args per element: element, envelope id, delay ms, next element.
     * Resolves one status per element (1 scheduled, 0 skipped).
     */
    vqListRetry(
      inflight: string,
      delayed: string,
      bodies: string,
      stats: string,
      deliveries: string,
      ...args: (string | Buffer | number)[]
    ): Result<number[], Context>;
    /**
     * See list-move-to-dead.lua. Args: maxLen, source list name, then per element: element, reason,
     * error, attempts, countFailure, stack, fields body. Resolves one status per element.
     */
    vqListMoveToDead(
      inflight: string,
      dead: string,
      stats: string,
      deliveries: string,
      ...args: (string | Buffer | number)[]
    ): Result<number[], Context>;
    /** See list-hand-back.lua. Args: count '1'|'0', elements. Resolves the number returned to the queue. */
    vqListHandBack(
      inflight: string,
      list: string,
      deliveries: string,
      counted: '1' | '0',
      ...elements: (string | Buffer)[]
    ): Result<number, Context>;
    /**
     * See read-priorities.lua. Keys: the priority streams, highest first; args: group, consumer,
     * count, noAck, mode, seed, one weight per stream. Resolves `[index, entries, index, entries, ...]`.
     */
    vqReadPriorities(
      numberOfKeys: number,
      ...keysAndArgs: (string | number)[]
    ): Result<(number | [string, string[]][])[], Context>;
    /** See list-take-priorities.lua. Resolves `[0, element, deliveries, ...]`. */
    vqListTakePriorities(
      numberOfKeys: number,
      ...keysAndArgs: (string | number)[]
    ): Result<(string | number)[], Context>;
    /** vqListTakePriorities with the elements as bytes. Resolves `[0, element, deliveries, ...]`. */
    vqListTakePrioritiesBuffer(
      numberOfKeys: number,
      ...keysAndArgs: (string | number)[]
    ): Result<(Buffer | number)[], Context>;
    /** See existing-keys.lua. Resolves 1 or 0 per key. */
    vqExistingKeys(numberOfKeys: number, ...keys: string[]): Result<number[], Context>;
    /** vqListHandBack with the list's 10 priority keys after its 3 keys (numberOfKeys 13). */
    vqListHandBackRouted(numberOfKeys: number, ...keysAndArgs: (string | Buffer)[]): Result<number, Context>;
    /**
     * See list-reap.lua. Keys: consumers, list, deliveries, then per candidate its heartbeat and
     * in-flight list; args: list name, limit, candidate names. Resolves one result per candidate.
     */
    vqListReap(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<number[], Context>;
    /** See list-heartbeat.lua. Resolves 1 or 0 (see there). */
    vqListHeartbeat(
      heartbeat: string,
      consumers: string,
      inflight: string,
      consumer: string,
      listName: string,
      ttlMs: number,
      mode: 'beat' | 'leave',
    ): Result<number, Context>;
    /**
     * See redrive-list.lua. Keys: dead, list, stats, then one done marker per entry; args per entry:
     * dead-letter entry id, list element. Resolves one status per entry: 1 moved, 0 gone.
     */
    vqRedriveList(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<number[], Context>;
    /**
     * See take-lease.lua. Args: group, owner, ttl ms, data stream, mode, LBS entry id, min idle ms.
     * Resolves `[token, expiresAtMs, info, entryId]` or `[-1, holder]`, `[-2]`, `[-3]`, `[-4]`.
     */
    vqTakeLease(
      lbs: string,
      lease: string,
      fence: string,
      assignment: string,
      assignments: string,
      group: string,
      owner: string,
      ttlMs: number,
      stream: string,
      mode: 'read' | 'claim' | 'recover',
      entryId: string,
      minIdleMs: number,
    ): Result<[number, number, string, string] | [-1, string] | [-2] | [-3] | [-4], Context>;
    /**
     * See renew-leases.lua. Keys: assignments, then per lease its lease and assignment keys; args: ttl
     * ms, then per lease `<owner>:<token>` and the data stream. Resolves `[expiresAtMs, ...statuses]`.
     */
    vqRenewLeases(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<number[], Context>;
    /** See release-lease.lua. Resolves 1 released, 0 lease missing, -1 held by another. */
    vqReleaseLease(
      lbs: string,
      lease: string,
      assignment: string,
      assignments: string,
      group: string,
      value: string,
      stream: string,
    ): Result<number, Context>;
    /** See hand-back-lease.lua. Resolves 1 handed back, 0 lease missing, -1 held by another. */
    vqHandBackLease(
      lease: string,
      assignment: string,
      assignments: string,
      value: string,
      stream: string,
      channel: string,
    ): Result<number, Context>;
    /** See assert-owner.lua. Resolves 1 current holder, -1 stale token, -2 no live lease with it. */
    vqAssertOwner(fence: string, lease: string, token: number | string): Result<number, Context>;
    /**
     * See fenced-write.lua. Keys: fence, lease, then the command's keys; args: token, command, then
     * its other arguments. Resolves `[1, reply]`, `[-1]` stale or `[-2]` not held.
     */
    vqFencedWrite(
      numberOfKeys: number,
      ...keysAndArgs: (string | number)[]
    ): Result<[number, unknown?], Context>;
    /** See lbs-dead-letter.lua. Resolves 1 moved, 0 already gone. */
    vqLbsDeadLetter(
      lbs: string,
      dead: string,
      group: string,
      entryId: string,
      reason: string,
      maxLen: number,
    ): Result<number, Context>;
    /**
     * See send.lua. Keys: target, delayed, bodies, marker, dedup; args: mode, markerTtl, dedupTtl,
     * firstId, trim, trimValue, dueAt, delay, width, retry (1: check the marker), then the flattened
     * messages. Resolves `[0, count, dueMs | -1]` written, `[1, firstId]` deduplicated, `[2]` already written.
     */
    vqSend(
      target: string,
      delayed: string,
      bodies: string,
      marker: string,
      dedup: string,
      ...args: (string | number | readonly (string | number)[])[]
    ): Result<[0, number, number] | [1, string] | [2], Context>;
    /**
     * See send-many.lua. Keys: target, then one idempotency marker per message; args: mode,
     * markerTtl, trim, trimValue, width, then the flattened messages. Resolves one status per
     * message: 0 written, 2 already written.
     */
    vqSendMany(
      numberOfKeys: number,
      ...keysAndArgs: (string | number | readonly string[])[]
    ): Result<number[], Context>;
    /** See upsert-schedule.lua. Resolves 1 (created or replaced) or 0 (unchanged). */
    vqUpsertSchedule(
      schedules: string,
      schedule: string,
      name: string,
      definition: string,
      timing: string,
      payload: string,
      headers: string,
      transport: 'stream' | 'list',
      firstTick: number,
      /** Labels JSON, or '' for none. */
      labels: string,
      /** Priority 1..10, or '' for 0. */
      priority?: number | '',
      /** Ordering key of every tick message, or '' for none. */
      orderingKey?: string,
    ): Result<number, Context>;
    /** See fire-schedule.lua. Resolves the number of messages appended (0: not ours to fire). */
    vqFireSchedule(
      schedules: string,
      schedule: string,
      target: string,
      ...args: (string | number)[]
    ): Result<number, Context>;
    /** See scheduled-run-lock.lua. Resolves 1 (done) or 0 (not ours). */
    vqScheduledRunLock(
      lock: string,
      mode: 'acquire' | 'renew' | 'release',
      owner: string,
      ttlMs?: number,
    ): Result<number, Context>;
    /** See remove-schedule.lua. Resolves 1 (removed) or 0 (no such schedule). */
    vqRemoveSchedule(schedules: string, schedule: string, name: string): Result<number, Context>;
    /** See promote-due.lua. Resolves `[promoted, nextDueMs | -1, serverNowMs]`. */
    vqPromoteDue(
      delayed: string,
      bodies: string,
      target: string,
      dead: string,
      pageSize: number,
      mode: 'stream' | 'list',
    ): Result<[number, number, number], Context>;
    /** vqPromoteDue with the target's 10 priority keys after its 4 keys (numberOfKeys 14). */
    vqPromoteDueRouted(
      numberOfKeys: number,
      ...keysAndArgs: (string | number)[]
    ): Result<[number, number, number], Context>;
    /**
     * See redrive.lua. Keys: dead, stream, stats, then one done marker per entry; args: nowMs, then
     * the dead-letter entry ids. Resolves one status per entry: 1 moved, 0 gone, -1 not an envelope.
     */
    vqRedrive(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<number[], Context>;
    /**
     * See send-retry.lua. Keys: stream, done marker, delayed set; args: envelope id, window ms,
     * cursor ('' first), most entries to read, past the trim horizon 1|0, then the field/value
     * pairs. Resolves [0] appended,
     * [2] found, [3] unknown (an entry of the window was deleted), [4, cursor] call again.
     */
    vqSendRetry(
      stream: string,
      done: string,
      delayed: string,
      ...args: (string | number)[]
    ): Result<[0] | [2] | [3] | [4, string], Context>;
    /**
     * See ordered-send.lua. Keys: ready, holders, parked, marker, dedup; args as vqSend's, with the
     * list prefix first and (ordering key, body) per message. Resolves as vqSend.
     */
    vqOrderedSend(
      ready: string,
      holders: string,
      parked: string,
      marker: string,
      dedup: string,
      ...args: (string | number | readonly (string | number)[])[]
    ): Result<[0, number, number] | [1, string] | [2], Context>;
    /**
     * See ordered-take.lua. Resolves `[nextReadyMs | -1, reclaimed, (key, token, deliveries, body)...]`;
     * with `run` > 1, a key's further messages follow its head (deliveries 0).
     */
    vqOrderedTake(
      ready: string,
      leases: string,
      holders: string,
      takes: string,
      fence: string,
      listPrefix: string,
      leaseMs: number,
      max: number,
      run?: number,
    ): Result<(string | number)[], Context>;
    /** vqOrderedTake with keys, tokens and bodies as bytes (bodies are split by byte length). */
    vqOrderedTakeBuffer(
      ready: string,
      leases: string,
      holders: string,
      takes: string,
      fence: string,
      listPrefix: string,
      leaseMs: number,
      max: number,
      run?: number,
    ): Result<(Buffer | number)[], Context>;
    /**
     * See ordered-ack.lua. Args: list prefix, counter ('' = none), lease ms, then (key, token,
     * '0' | 'k' | run length) per key. Resolves `[statuses, [key, token, body]...]` (the continued
     * keys, a run's messages in order).
     */
    vqOrderedAck(
      ready: string,
      leases: string,
      holders: string,
      takes: string,
      stats: string,
      fence: string,
      ...args: (string | number)[]
    ): Result<[number[], string[]], Context>;
    /** vqOrderedAck with the continued keys, tokens and bodies as bytes. */
    vqOrderedAckBuffer(
      ready: string,
      leases: string,
      holders: string,
      takes: string,
      stats: string,
      fence: string,
      ...args: (string | number)[]
    ): Result<[number[], Buffer[]], Context>;
    /** See ordered-retry.lua. Args: list prefix, then (key, token, delay, attempt, firstAttempt) per key. */
    vqOrderedRetry(
      ready: string,
      leases: string,
      holders: string,
      takes: string,
      stats: string,
      ...args: (string | number)[]
    ): Result<number[], Context>;
    /** See ordered-dead.lua. Args: list prefix, maxLen, park, then 7 values per key. */
    vqOrderedDead(
      ready: string,
      leases: string,
      holders: string,
      takes: string,
      dead: string,
      stats: string,
      parked: string,
      ...args: (string | number)[]
    ): Result<number[], Context>;
    /** See ordered-renew.lua. Args: lease ms, then (key, token) pairs. Resolves the lost tokens. */
    vqOrderedRenew(leases: string, holders: string, ...args: (string | number)[]): Result<string[], Context>;
    /** See ordered-hand-back.lua. Args: list prefix, count the delivery ('1' | '0'), then (key, token) pairs. */
    vqOrderedHandBack(
      ready: string,
      leases: string,
      holders: string,
      takes: string,
      ...args: (string | number)[]
    ): Result<number[], Context>;
    /** See ordered-release.lua. Resolves 1 released, 0 not parked. */
    vqOrderedRelease(
      ready: string,
      holders: string,
      parked: string,
      listPrefix: string,
      key: string,
    ): Result<number, Context>;
    /**
     * See fire-ordered-schedule.lua. Args: name, due, next (-1: ended), last tick, list prefix,
     * ordering key, then one body per tick message. Resolves the messages appended.
     */
    vqFireOrderedSchedule(
      schedules: string,
      schedule: string,
      ready: string,
      holders: string,
      parked: string,
      ...args: (string | number)[]
    ): Result<number, Context>;
  }
}
