import { InvalidScheduleError } from '../errors/invalid-schedule.error.js';
import { firstTick, MAX_CATCH_UP_FIRES, nextTick, planFires, scheduleTiming } from './schedule-timing.js';
import type { ScheduleDefinition } from '../interfaces/schedule.interface.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0); // 2026-01-01T00:00:00Z
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const timing = (definition: Partial<ScheduleDefinition>, now = T0) =>
  scheduleTiming({ name: 's', queue: 'q', payload: null, ...definition } as ScheduleDefinition, now);

describe('schedule timing', () => {
  describe('validation', () => {
    it.each([
      [{}, 'give exactly one of cron and every'],
      [{ cron: '* * * * *', every: 1000 }, 'give exactly one of cron and every'],
      [{ every: 0 }, 'every must be a whole number of ms > 0'],
      [{ every: -5 }, 'every must be a whole number of ms > 0'],
      [{ every: 1.5 }, 'every must be a whole number of ms > 0'],
      [{ every: Number.NaN }, 'every must be a whole number of ms > 0'],
      [{ cron: '61 * * * *' }, 'is not valid'],
      [{ cron: 'every day' }, 'is not valid'],
      [{ cron: '* * * * *', timezone: 'Mars/Olympus' }, 'unknown time zone "Mars/Olympus"'],
      [{ every: 1000, startAt: T0, endAt: T0 }, 'endAt must be after startAt'],
      [{ every: 1000, startAt: Number.NaN }, 'startAt must be a Date or epoch ms'],
      [{ every: 1000, limit: 0 }, 'limit must be a whole number > 0'],
      [{ every: 1000, catchUp: 'some' as never }, 'catchUp must be one of none, one, all'],
    ])('rejects %j', (definition, reason) => {
      expect(() => timing(definition)).toThrow(InvalidScheduleError);
      expect(() => timing(definition)).toThrow(reason);
    });

    it('defaults to UTC and catch-up "one", anchored at creation', () => {
      expect(timing({ every: 5000 }, T0)).toEqual({
        every: 5000,
        timezone: 'UTC',
        anchor: T0,
        catchUp: 'one',
      });
    });
  });

  describe('firstTick', () => {
    it('is startAt itself when given, else one interval after creation', () => {
      expect(firstTick(timing({ every: MINUTE, startAt: T0 + HOUR }, T0))).toBe(T0 + HOUR);
      expect(firstTick(timing({ every: MINUTE }, T0))).toBe(T0 + MINUTE);
    });

    it('is the first cron tick at or after startAt, and null once past endAt', () => {
      expect(firstTick(timing({ cron: '0 * * * *', startAt: T0 + HOUR }, T0))).toBe(T0 + HOUR);
      expect(firstTick(timing({ cron: '0 * * * *', startAt: T0 + 1 }, T0))).toBe(T0 + HOUR);
      expect(firstTick(timing({ cron: '0 0 1 1 *', endAt: T0 + HOUR }, T0 + 1))).toBeNull();
    });
  });

  describe('nextTick', () => {
    it('steps an interval from its creation, not at it', () => {
      const t = timing({ every: 10 * SECOND }, T0);
      expect(nextTick(t, T0)).toBe(T0 + 10 * SECOND);
      expect(nextTick(t, T0 + 10 * SECOND)).toBe(T0 + 20 * SECOND);
      expect(nextTick(t, T0 + 15 * SECOND)).toBe(T0 + 20 * SECOND);
    });

    it('starts an interval at startAt itself and stops before endAt', () => {
      const t = timing({ every: MINUTE, startAt: T0 + HOUR, endAt: T0 + HOUR + 2 * MINUTE }, T0);
      expect(nextTick(t, T0)).toBe(T0 + HOUR);
      expect(nextTick(t, T0 + HOUR)).toBe(T0 + HOUR + MINUTE);
      expect(nextTick(t, T0 + HOUR + MINUTE)).toBeNull();
    });

    it('reads 5- and 6-field cron patterns in the given time zone', () => {
      expect(nextTick(timing({ cron: '*/15 * * * * *' }), T0)).toBe(T0 + 15 * SECOND);
      expect(nextTick(timing({ cron: '0 9 * * *' }), T0)).toBe(T0 + 9 * HOUR);
      // 09:00 in Berlin is 08:00 UTC in winter
      expect(nextTick(timing({ cron: '0 9 * * *', timezone: 'Europe/Berlin' }), T0)).toBe(T0 + 8 * HOUR);
    });
  });

  describe('planFires', () => {
    const every = (extra: Partial<ScheduleDefinition> = {}) => timing({ every: MINUTE, ...extra }, T0);

    it('fires an on-time tick and moves to the following one', () => {
      expect(planFires(every(), T0 + MINUTE, T0 + MINUTE + 20, 0, 5_000)).toEqual({
        fires: [T0 + MINUTE],
        next: T0 + 2 * MINUTE,
      });
    });

    it('fires once for a whole outage with catch-up "one" (the latest missed tick)', () => {
      const now = T0 + 5 * MINUTE + 30 * SECOND; // ticks at 1..5 min were missed
      expect(planFires(every(), T0 + MINUTE, now, 0, 5_000)).toEqual({
        fires: [T0 + 5 * MINUTE],
        next: T0 + 6 * MINUTE,
      });
    });

    it('fires every missed tick, oldest first and at most 100, with catch-up "all"', () => {
      const plan = planFires(every({ catchUp: 'all' }), T0 + MINUTE, T0 + 3 * MINUTE, 0, 5_000);
      expect(plan).toEqual({ fires: [T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE], next: T0 + 4 * MINUTE });
      const long = planFires(every({ catchUp: 'all' }), T0 + MINUTE, T0 + 1000 * MINUTE, 0, 5_000);
      expect(long.fires).toHaveLength(MAX_CATCH_UP_FIRES);
      expect(long.fires[0]).toBe(T0 + MINUTE);
      expect(long.next).toBe(T0 + 1001 * MINUTE);
    });

    it('skips late ticks with catch-up "none", even a single one', () => {
      expect(
        planFires(every({ catchUp: 'none' }), T0 + MINUTE, T0 + 4 * MINUTE + 10 * SECOND, 0, 5_000),
      ).toEqual({
        fires: [],
        next: T0 + 5 * MINUTE,
      });
      const daily = timing({ cron: '0 0 * * *', catchUp: 'none' }, T0);
      expect(planFires(daily, T0 + 24 * HOUR, T0 + 44 * HOUR, 0, 5_000).fires).toEqual([]);
      expect(planFires(every({ catchUp: 'none' }), T0 + MINUTE, T0 + MINUTE + 100, 0, 5_000).fires).toEqual([
        T0 + MINUTE,
      ]);
    });

    it('honours limit and ends the schedule when it is reached', () => {
      expect(planFires(every({ limit: 3 }), T0 + 3 * MINUTE, T0 + 3 * MINUTE, 2, 5_000)).toEqual({
        fires: [T0 + 3 * MINUTE],
        next: null,
      });
      const all = planFires(every({ limit: 3, catchUp: 'all' }), T0 + MINUTE, T0 + 10 * MINUTE, 1, 5_000);
      expect(all).toEqual({ fires: [T0 + MINUTE, T0 + 2 * MINUTE], next: null });
    });

    it('never fires a tick at or after endAt', () => {
      const ending = every({ endAt: T0 + 3 * MINUTE });
      expect(planFires(ending, T0 + MINUTE, T0 + 10 * MINUTE, 0, 5_000)).toEqual({
        fires: [T0 + 2 * MINUTE],
        next: null,
      });
    });
  });
});
