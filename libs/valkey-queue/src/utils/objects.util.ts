/** Small object helpers shared by option handling. @internal */

/** A copy without the keys whose value is `undefined`, so spreads never override defaults with it. */
export const withoutUndefined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

/** True for `{...}` objects; false for null, arrays and primitives. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
