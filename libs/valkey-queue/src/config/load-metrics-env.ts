import { parseBoolean } from './env-parsers.js';
import type { EnvReader } from './load-sender-env.js';
import { withoutUndefined } from '../utils/objects.util.js';
import type { MetricsOptions } from '../interfaces/metrics-options.interface.js';

/**
 * `metrics` from `VALKEY_QUEUE_METRICS_ENABLED` (boolean) and `VALKEY_QUEUE_METRICS_PREFIX` (text,
 * checked at startup). Undefined when neither is set. A registry can only be given in code.
 * @internal
 */
export function loadMetricsOptionsFromEnv(parsed: EnvReader): MetricsOptions | undefined {
  const metrics: MetricsOptions = withoutUndefined({
    enabled: parsed('METRICS_ENABLED', parseBoolean),
    prefix: parsed('METRICS_PREFIX', (_variable, raw) => raw.trim()),
  });
  return Object.keys(metrics).length > 0 ? metrics : undefined;
}
