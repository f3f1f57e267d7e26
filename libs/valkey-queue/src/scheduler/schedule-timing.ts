import { Cron } from 'croner';
import { InvalidScheduleError } from '../errors/invalid-schedule.error.js';
import { withoutUndefined } from '../utils/objects.util.js';
import type { CatchUpPolicy, ScheduleDefinition } from '../interfaces/schedule.interface.js';

/** Most ticks one catch-up fires with policy `all`. */
export const MAX_CATCH_UP_FIRES = 100;
const CATCH_UP_POLICIES: readonly CatchUpPolicy[] = ['none', 'one', 'all'];

/**
 * When a schedule fires, normalized and validated. Plain JSON: it is stored with the schedule, so
 * every instance computes the same ticks. All times are epoch ms on the server's clock.
 * @internal
 */
export interface ScheduleTiming {
  cron?: string;
  every?: number;
  timezone: string;
  /** `every` ticks fall on anchor + k·every. */
  anchor: number;
  startAt?: number;
  endAt?: number;
  limit?: number;
  catchUp: CatchUpPolicy;
}

/** What one due schedule does now: the tick times to fire and the next tick (null: ended). */
export interface FirePlan {
  fires: number[];
  next: number | null;
}

/** Validates the timing fields of a definition. Throws `InvalidScheduleError`. */
export function scheduleTiming(definition: ScheduleDefinition, nowMs: number): ScheduleTiming {
  const { name, cron, every } = definition;
  const invalid = (reason: string): never => {
    throw new InvalidScheduleError(name, reason);
  };
  if ((cron === undefined) === (every === undefined)) invalid('give exactly one of cron and every');
  if (every !== undefined && (!Number.isSafeInteger(every) || every <= 0)) {
    invalid(`every must be a whole number of ms > 0, got ${String(every)}`);
  }
  const timezone = definition.timezone ?? 'UTC';
  if (!isTimeZone(timezone)) invalid(`unknown time zone ${JSON.stringify(timezone)}`);
  if (cron !== undefined) {
    if (typeof cron !== 'string') invalid('cron must be a string');
    try {
      cronFor(cron, timezone);
    } catch (error) {
      invalid(`cron ${JSON.stringify(cron)} is not valid: ${(error as Error).message}`);
    }
  }
  const startAt = toMs(definition.startAt, 'startAt', invalid);
  const endAt = toMs(definition.endAt, 'endAt', invalid);
  if (startAt !== undefined && endAt !== undefined && endAt <= startAt)
    invalid('endAt must be after startAt');
  const { limit } = definition;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0))
    invalid('limit must be a whole number > 0');
  const catchUp = definition.catchUp ?? 'one';
  if (!CATCH_UP_POLICIES.includes(catchUp)) invalid(`catchUp must be one of ${CATCH_UP_POLICIES.join(', ')}`);
  return withoutUndefined({
    cron,
    every,
    timezone,
    anchor: startAt ?? nowMs,
    startAt,
    endAt,
    limit,
    catchUp,
  });
}

/** The schedule's first tick: `startAt` itself when it is a tick, else the first one after it was stored. */
export function firstTick(timing: ScheduleTiming): number | null {
  return nextTick(timing, timing.startAt !== undefined ? timing.startAt - 1 : timing.anchor);
}

/** The first tick strictly after `afterMs`, or null when the schedule has no more ticks. */
export function nextTick(timing: ScheduleTiming, afterMs: number): number | null {
  // An interval schedule without startAt first fires one interval after it was created.
  const after = Math.max(afterMs, timing.startAt !== undefined ? timing.startAt - 1 : timing.anchor);
  let tick: number;
  if (timing.every !== undefined) {
    const steps = Math.max(0, Math.floor((after - timing.anchor) / timing.every) + 1);
    tick = timing.anchor + steps * timing.every;
  } else {
    const next = cronFor(timing.cron!, timing.timezone).nextRun(new Date(after));
    if (!next) return null;
    tick = next.getTime();
  }
  return timing.endAt !== undefined && tick >= timing.endAt ? null : tick;
}

/**
 * Decides what a schedule whose tick `due` is reached does at `now`, given `runs` ticks so far.
 * On time (one tick due) it fires that tick. After an outage, `catchUp` decides: `one` fires the
 * latest missed tick once, `all` fires the missed ticks oldest first (at most 100), `none` fires
 * only a tick that is less than `toleranceMs` late.
 */
export function planFires(
  timing: ScheduleTiming,
  due: number,
  now: number,
  runs: number,
  toleranceMs: number,
): FirePlan {
  const missed: number[] = [];
  for (let tick: number | null = due; tick !== null && tick <= now; tick = nextTick(timing, tick)) {
    missed.push(tick);
    if (missed.length > MAX_CATCH_UP_FIRES) break; // enough to decide; never walk a long outage tick by tick
  }
  let latest = latestTickAtOrBefore(timing, now) ?? due;
  if (timing.endAt !== undefined && latest >= timing.endAt) latest = missed[missed.length - 1] ?? due;
  let fires: number[];
  if (timing.catchUp === 'none') fires = missed.length > 0 && now - latest <= toleranceMs ? [latest] : [];
  else if (missed.length <= 1) fires = missed;
  else if (timing.catchUp === 'all') fires = missed.slice(0, MAX_CATCH_UP_FIRES);
  else fires = [latest];

  let next = nextTick(timing, now);
  if (timing.limit !== undefined) {
    fires = fires.slice(0, Math.max(0, timing.limit - runs));
    if (runs + fires.length >= timing.limit) next = null;
  }
  return { fires, next };
}

function latestTickAtOrBefore(timing: ScheduleTiming, now: number): number | null {
  if (timing.every !== undefined) {
    if (now < timing.anchor) return null;
    return timing.anchor + Math.floor((now - timing.anchor) / timing.every) * timing.every;
  }
  const [previous] = cronFor(timing.cron!, timing.timezone).previousRuns(1, new Date(now + 1));
  return previous ? previous.getTime() : null;
}

const cronCache = new Map<string, Cron>();

/** A paused (never self-triggering) croner instance per pattern and zone, cached. */
function cronFor(pattern: string, timezone: string): Cron {
  const key = `${timezone}\u0000${pattern}`;
  let cron = cronCache.get(key);
  if (!cron) {
    cron = new Cron(pattern, { paused: true, timezone, mode: '5-or-6-parts' });
    if (cronCache.size >= 1_000) cronCache.clear(); // bounded: schedules are few, patterns fewer
    cronCache.set(key, cron);
  }
  return cron;
}

function isTimeZone(timezone: unknown): boolean {
  if (typeof timezone !== 'string' || timezone === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function toMs(
  value: Date | number | undefined,
  field: string,
  invalid: (reason: string) => never,
): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return invalid(`${field} must be a Date or epoch ms`);
  return ms;
}
