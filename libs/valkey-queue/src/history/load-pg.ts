import { MissingDependencyError } from '../errors/missing-dependency.error.js';
import type { HistoryPool } from '../interfaces/history-options.interface.js';

/** What the history uses of the `pg` module (an optional peer dependency). @internal */
export interface PgModule {
  Pool: new (config: { connectionString: string; max?: number }) => HistoryPool & {
    on(event: 'error', listener: (error: Error) => void): unknown;
  };
}

/**
 * Loads `pg` (node-postgres), only when history is configured with a connection string. Throws
 * `MissingDependencyError` when it is not installed. `load` is replaceable for tests. @internal
 */
export async function loadPg(load: () => Promise<unknown> = () => import('pg')): Promise<PgModule> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (error) {
    throw new MissingDependencyError('pg', 'history', { cause: error });
  }
  // A CommonJS package imported from ESM: the API sits on `default`.
  const candidates = [(loaded as { default?: unknown } | undefined)?.default, loaded];
  const pg = candidates.find(
    (candidate): candidate is PgModule =>
      typeof candidate === 'object' &&
      candidate !== null &&
      typeof (candidate as Record<string, unknown>).Pool === 'function',
  );
  if (!pg) throw new MissingDependencyError('pg', 'history');
  return pg;
}
