import { MissingDependencyError } from '../../errors/missing-dependency.error.js';

/** The prom-client module (an optional peer dependency, loaded only when metrics are on). @internal */
export type PromClient = typeof import('prom-client');

/**
 * Loads prom-client. Throws `MissingDependencyError` when it is not installed or not usable, so a
 * missing package fails bootstrap with a clear error instead of a bare module-resolution failure.
 * `load` is replaceable for tests. @internal
 */
export async function loadPromClient(
  load: () => Promise<unknown> = () => import('prom-client'),
): Promise<PromClient> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (error) {
    throw new MissingDependencyError('prom-client', 'metrics.enabled', { cause: error });
  }
  // A CommonJS package imported from ESM: the API may sit on `default`.
  const candidates = [(loaded as { default?: unknown } | undefined)?.default, loaded];
  const client = candidates.find(
    (candidate): candidate is PromClient =>
      typeof candidate === 'object' &&
      candidate !== null &&
      ['Registry', 'Counter', 'Gauge'].every(
        (name) => typeof (candidate as Record<string, unknown>)[name] === 'function',
      ),
  );
  if (!client) throw new MissingDependencyError('prom-client', 'metrics.enabled');
  return client;
}
