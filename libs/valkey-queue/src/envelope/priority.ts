/**
 * Message priorities: an integer 0..10, higher handled sooner, 0 by default (strego's scale).
 * Priority 0 lives in the queue's own stream or list, exactly as without priorities; a priority p
 * above 0 gets its own key, the queue key followed by `:p<p>` (same hash tag, so same slot), created
 * only when a message of that priority is sent. docs/key-layout.md, "Priorities".
 */

/** Lowest priority, and the one of a message sent without any. */
export const MIN_PRIORITY = 0;
/** Highest priority. */
export const MAX_PRIORITY = 10;
/** Every priority above 0, highest first (the order a strict read tries them in). */
export const RAISED_PRIORITIES: readonly number[] = Array.from(
  { length: MAX_PRIORITY },
  (_, i) => MAX_PRIORITY - i,
);

/** Whether `value` is a valid priority (a whole number 0..10). */
export function isPriority(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= MIN_PRIORITY && (value as number) <= MAX_PRIORITY;
}

/** What a priority must be, for error messages. */
export const PRIORITY_RULE = `a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY}`;

/**
 * The key holding messages of `priority` for the queue key `base` (its stream or list, or a
 * queueNamer's list key): `base` itself for 0, `<base>:p<priority>` above.
 */
export function priorityKey(base: string, priority: number): string {
  return priority > 0 ? `${base}:p${priority}` : base;
}

/** The keys of priorities 1..10 of `base`, in priority order (index 0 = priority 1): the routing keys scripts take. */
export function raisedPriorityKeys(base: string): string[] {
  return Array.from({ length: MAX_PRIORITY }, (_, index) => `${base}:p${index + 1}`);
}

/** Reads a stored priority: decimal digits 0..10 (`'0'` or absent both mean 0); undefined when malformed. */
export function parsePriority(raw: string | number | undefined): number | undefined {
  if (raw === undefined) return 0;
  if (typeof raw === 'number') return isPriority(raw) ? raw : undefined;
  if (!/^\d{1,2}$/.test(raw)) return undefined;
  const value = Number(raw);
  return value <= MAX_PRIORITY ? value : undefined;
}

/**
 * The Pub/Sub channel (not a key) on which senders announce that they send with a raised priority
 * to the queue key `base`, so idle workers look for its priority key at once instead of at their
 * next periodic look.
 */
export function priorityChannel(base: string): string {
  return `${base}:priorities`;
}
