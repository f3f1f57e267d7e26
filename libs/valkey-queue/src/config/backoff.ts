import type { Backoff, BackoffOptions } from '../interfaces/worker-options.interface.js';

/** strego's defaults: 1 s, doubling, capped at 10 minutes. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  type: 'exponential',
  delay: 1_000,
  maxDelay: 600_000,
  jitter: 0,
};

/** Longest delay we schedule (about 24 days), so a runaway function cannot park a message forever. */
export const MAX_RETRY_DELAY = 2_147_483_647;

/**
 * The delay in ms before retrying after attempt `attempt` (1-based) failed with `error`.
 * A backoff function that throws or returns an unusable value gets the default backoff instead,
 * reported through `onInvalid`. @internal
 */
export function retryDelay(
  backoff: Backoff,
  attempt: number,
  error: Error,
  onInvalid: (reason: string) => void = () => undefined,
  random: () => number = Math.random,
): number {
  if (typeof backoff === 'number') return clamp(backoff);
  if (typeof backoff === 'function') {
    let value: unknown;
    try {
      value = backoff(attempt, error);
    } catch (thrown) {
      onInvalid(`the backoff function threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
      return computed(DEFAULT_BACKOFF, attempt, random);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      onInvalid(`the backoff function returned ${String(value)}, not a number of ms >= 0`);
      return computed(DEFAULT_BACKOFF, attempt, random);
    }
    return clamp(value);
  }
  return computed(backoff, attempt, random);
}

function computed(options: BackoffOptions, attempt: number, random: () => number): number {
  const maxDelay = options.maxDelay ?? DEFAULT_BACKOFF.maxDelay;
  const base =
    options.type === 'fixed'
      ? options.delay
      : Math.min(maxDelay, options.delay * 2 ** Math.min(Math.max(attempt - 1, 0), 52));
  const jitter = Math.min(Math.max(options.jitter ?? 0, 0), 1);
  // Jitter only shortens, so `maxDelay` stays a true upper bound.
  return clamp(base - base * jitter * random());
}

const clamp = (ms: number): number => Math.min(MAX_RETRY_DELAY, Math.max(0, Math.round(ms)));

/** Whether `value` is a usable `Backoff` (for option validation). @internal */
export function isBackoff(value: unknown): value is Backoff {
  if (typeof value === 'function') return true;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { type, delay, maxDelay, jitter, ...rest } = value as Record<string, unknown>;
  const ms = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  return (
    Object.keys(rest).length === 0 &&
    (type === 'fixed' || type === 'exponential') &&
    ms(delay) &&
    (maxDelay === undefined || ms(maxDelay)) &&
    (jitter === undefined || (typeof jitter === 'number' && jitter >= 0 && jitter <= 1))
  );
}
