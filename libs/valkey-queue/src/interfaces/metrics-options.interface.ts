/**
 * What the module needs from a prom-client `Registry` (prom-client 15's `Registry` fits). Typed
 * structurally, so the library's types do not require prom-client to be installed.
 */
export interface MetricsRegistry {
  /** Content-Type of `metrics()`'s output. */
  readonly contentType: string;
  /** Every registered metric, in the exposition format. */
  metrics(): Promise<string>;
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

/**
 * Prometheus metrics (`ValkeyQueueModule.forRoot({ metrics })`). Off by default: nothing is loaded
 * or counted. When on, the optional peer dependency `prom-client` must be installed. Serve them
 * with `ValkeyQueueMetrics.metrics()`; docs/observability.md lists every metric.
 */
export interface MetricsOptions {
  /** Count, time and expose the queue metrics (loads `prom-client` at startup). @default false */
  enabled?: boolean;
  /**
   * Prefix of every metric name: letters, digits, `_` and `:`, not starting with a digit; `''`
   * for none. @default 'valkey_queue_'
   */
  prefix?: string;
  /**
   * The prom-client `Registry` to register the metrics in, e.g. prom-client's global `register`
   * to serve them beside your own. The module removes its metrics from it on shutdown.
   * @default a registry of the module's own (`ValkeyQueueMetrics.registry`)
   */
  registry?: MetricsRegistry;
}
