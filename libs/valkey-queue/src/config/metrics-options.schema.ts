import { IsBoolean, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { InvalidOption } from '../errors/invalid-options.error.js';
import { isPlainObject } from '../utils/objects.util.js';
import type { MetricsOptions, MetricsRegistry } from '../interfaces/metrics-options.interface.js';

/** Default prefix of every metric name. */
export const DEFAULT_METRICS_PREFIX = 'valkey_queue_';
/** Prometheus metric names: `[a-zA-Z_:][a-zA-Z0-9_:]*`; a prefix may also be empty. */
const METRIC_PREFIX_PATTERN = /^([A-Za-z_:][A-Za-z0-9_:]*)?$/;
const REGISTRY_METHODS = ['metrics', 'registerMetric', 'getSingleMetric', 'removeSingleMetric'] as const;

/** `metrics` after validation, defaults applied. @internal */
export interface ResolvedMetricsOptions {
  enabled: boolean;
  prefix: string;
  /** Undefined: the module creates a registry of its own. */
  registry?: MetricsRegistry;
}

/** class-validator schema of `MetricsOptions`. @internal */
export class MetricsSchema {
  @IsOptional() @IsBoolean() enabled?: boolean;
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(METRIC_PREFIX_PATTERN, {
    message: 'prefix may contain only letters, digits, _ and : and must not start with a digit',
  })
  prefix?: string;
  // Checked by hand (must look like a prom-client Registry); never walked by the validator.
  @IsOptional() registry?: unknown;
}

/** Rules the decorators cannot express: `registry` must be a prom-client Registry. @internal */
export function metricsRuleIssues(metrics: MetricsOptions | undefined): InvalidOption[] {
  const registry: unknown = metrics?.registry;
  if (registry === undefined) return [];
  const usable =
    isPlainObject(registry) &&
    REGISTRY_METHODS.every((method) => typeof (registry as Record<string, unknown>)[method] === 'function');
  return usable
    ? []
    : [{ path: 'metrics.registry', value: '[object]', expected: ['a prom-client Registry'] }];
}

/** Applies the defaults. @internal */
export function resolveMetricsOptions(metrics: MetricsOptions | undefined): ResolvedMetricsOptions {
  const resolved: ResolvedMetricsOptions = {
    enabled: metrics?.enabled ?? false,
    prefix: metrics?.prefix ?? DEFAULT_METRICS_PREFIX,
  };
  if (metrics?.registry) resolved.registry = metrics.registry;
  return resolved;
}
