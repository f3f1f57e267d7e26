import { ValkeyQueueError } from './valkey-queue.error.js';

/**
 * A feature that was turned on needs an optional package that is not installed, e.g. `prom-client`
 * for `metrics: { enabled: true }`. Thrown at bootstrap; install the package or turn the feature off.
 */
export class MissingDependencyError extends ValkeyQueueError {
  constructor(
    /** The npm package to install, e.g. `prom-client`. */
    readonly dependency: string,
    /** The option that needs it, e.g. `metrics.enabled`. */
    readonly feature: string,
    options?: ErrorOptions,
  ) {
    super(
      'VQ_MISSING_DEPENDENCY',
      `${feature} needs the package '${dependency}', which cannot be loaded: install it (npm install ${dependency}) or turn ${feature} off`,
      options,
    );
  }
}
