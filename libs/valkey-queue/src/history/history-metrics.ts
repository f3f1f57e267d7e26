import type { MetricsRegistry } from '../interfaces/metrics-options.interface.js';
import { loadPromClient } from '../observability/metrics/load-prom-client.js';

/** What the history gauges read when the registry is scraped. @internal */
export interface HistoryGaugeSource {
  backlog(): Promise<number>;
  written(): number;
  failing(): boolean;
}

/**
 * The history's gauges, registered beside the module's metrics (only with `metrics.enabled`):
 * `<prefix>history_backlog` (events waiting in Valkey), `<prefix>history_events_written` (by this
 * instance) and `<prefix>history_writer_failing` (1 while PostgreSQL cannot be written). Returns
 * what removes them. @internal
 */
export async function registerHistoryGauges(
  registry: MetricsRegistry,
  prefix: string,
  source: HistoryGaugeSource,
): Promise<() => void> {
  const prom = await loadPromClient();
  const names: string[] = [];
  const gauge = (name: string, help: string, read: () => number | Promise<number>): void => {
    new prom.Gauge({
      name: prefix + name,
      help,
      registers: [registry as never],
      async collect() {
        this.set(await read());
      },
    });
    names.push(prefix + name);
  };
  gauge('history_backlog', 'Task history events waiting in Valkey to be written to PostgreSQL', () =>
    source.backlog(),
  );
  gauge('history_events_written', 'Task history events this instance wrote to PostgreSQL', () =>
    source.written(),
  );
  gauge('history_writer_failing', '1 while the task history cannot be written to PostgreSQL', () =>
    source.failing() ? 1 : 0,
  );
  return () => names.forEach((name) => registry.removeSingleMetric(name));
}
