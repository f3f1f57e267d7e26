import { Module, type DynamicModule } from '@nestjs/common';
import { MissingDependencyError } from '../errors/missing-dependency.error.js';

/** The @nestjs/terminus module (an optional peer dependency, needed only for the health indicators). @internal */
export type Terminus = typeof import('@nestjs/terminus');

/** DI token of terminus's `HealthIndicatorService`, provided by `TerminusBridgeModule`. @internal */
export const HEALTH_INDICATOR_SERVICE = Symbol('nestjs-valkey-queue:HealthIndicatorService');

/**
 * Loads @nestjs/terminus. Throws `MissingDependencyError` when it is not installed, so an app that
 * imports `ValkeyQueueHealthModule` without it fails bootstrap with a clear error. `load` is
 * replaceable for tests. @internal
 */
export async function loadTerminus(
  load: () => Promise<unknown> = () => import('@nestjs/terminus'),
): Promise<Terminus> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (error) {
    throw new MissingDependencyError('@nestjs/terminus', 'ValkeyQueueHealthModule', { cause: error });
  }
  const terminus = loaded as Partial<Terminus> | undefined;
  if (typeof terminus?.TerminusModule !== 'function' || typeof terminus.HealthIndicatorService !== 'function')
    throw new MissingDependencyError('@nestjs/terminus', 'ValkeyQueueHealthModule');
  return terminus as Terminus;
}

/** Hosts TerminusModule once it is loaded; re-exported by `ValkeyQueueHealthModule`. @internal */
@Module({})
export class TerminusBridgeModule {}

/**
 * TerminusBridgeModule with terminus imported, as a promise Nest resolves while it scans modules:
 * the library's entry point never imports terminus statically, so apps without health checks need
 * not install it. @internal
 */
export function terminusBridge(load?: () => Promise<unknown>): Promise<DynamicModule> {
  const bridge = loadTerminus(load).then(({ TerminusModule, HealthIndicatorService }) => ({
    module: TerminusBridgeModule,
    imports: [TerminusModule],
    providers: [{ provide: HEALTH_INDICATOR_SERVICE, useExisting: HealthIndicatorService }],
    exports: [TerminusModule, HEALTH_INDICATOR_SERVICE],
  }));
  // Nest sees the rejection when it imports the module; an app that never does must not crash on
  // an unhandled rejection at start-up.
  bridge.catch(() => undefined);
  return bridge;
}
