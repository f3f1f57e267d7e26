import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  BUILT_IN_METRICS,
  type BenchContext,
  type Contender,
  type Measurements,
  type MetricSpec,
  type Scenario,
} from './scenario.js';

/** One figure of one contender over the rounds. */
export interface MetricSummary {
  /** Value of each timed round, in round order. */
  rounds: number[];
  median: number;
  min: number;
  max: number;
}

/** The runs of one contender in one scenario. */
export interface ContenderResult {
  name: string;
  /**
   * Every figure by metric key (see `BUILT_IN_METRICS` and the scenario's `metrics`). Valkey CPU per
   * message (`serverMicros`, from INFO cpu of the main thread) depends much less on machine load
   * than throughput does, so it shows each contender's server-side cost.
   */
  metrics: Record<string, MetricSummary>;
}

/**
 * A ratio between two contenders' figures: the median of the per-round ratios. Contenders of one
 * round run back to back, so pairing them by round cancels most drift in machine load (this
 * benchmark often shares its cores); the ratio of the medians is kept for reference.
 */
export interface RatioResult {
  of: string;
  to: string;
  metric: string;
  ratio: number;
  /** Ratio of each round, in round order. */
  rounds: number[];
  /** median(of) / median(to). */
  ratioOfMedians: number;
  target?: number;
  /** `of / to` of the ratio that set `target`, when another ratio did. */
  targetFrom?: string;
  better: 'higher' | 'lower';
  /** Undefined when there is no target. */
  met?: boolean;
}

/** An absolute bar and whether the median met it. */
export interface LimitResult {
  contender: string;
  metric: string;
  value: number;
  max?: number;
  min?: number;
  met: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  size: number;
  rounds: number;
  primary: string;
  /** The figures shown in the human report, with how to print them. */
  columns: MetricSpec[];
  contenders: ContenderResult[];
  ratios: RatioResult[];
  limits: LimitResult[];
  notes?: string;
}

export interface RunOptions {
  url: string;
  quick: boolean;
  rounds: number;
  /** Untimed runs per contender before the first round (JIT, connection and script caches). */
  warmupSize: (size: number) => number;
  /** Resets the server between runs (FLUSHALL), so no run pays for another's data. */
  admin: Redis;
  /** Progress lines (stderr), so stdout stays a clean report or JSON document. */
  log: (line: string) => void;
}

/**
 * Runs every contender of `scenario` once per round. The order alternates each round (A B C, then
 * C B A, ...), so drift in machine load does not favour whoever runs first.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const size = scenario.size(options.quick);
  const rounds = scenario.rounds?.(options.rounds, options.quick) ?? options.rounds;
  const specs = [...BUILT_IN_METRICS, ...(scenario.metrics ?? [])];
  const specOf = (key: string): MetricSpec => {
    const spec = specs.find((candidate) => candidate.key === key);
    if (!spec) throw new Error(`Scenario ${scenario.id}: unknown metric '${key}'`);
    return spec;
  };
  const primary = specOf(scenario.primary ?? 'throughput');
  const context: BenchContext = {
    url: options.url,
    quick: options.quick,
    queueName: () => `bench-${randomUUID()}`,
  };
  const measured = new Map(scenario.contenders.map(({ name }) => [name, [] as Measurements[]]));

  if (scenario.warmup !== false) {
    for (const contender of scenario.contenders) {
      const warmup = options.warmupSize(size);
      if (warmup > 0) await timedRun(contender, context, warmup, options.admin);
    }
  }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? scenario.contenders : [...scenario.contenders].reverse();
    for (const contender of order) {
      const figures = await timedRun(contender, context, size, options.admin);
      measured.get(contender.name)!.push(figures);
      const shown = figures[primary.key];
      options.log(
        `  ${scenario.id} round ${round + 1}: ${contender.name} ${formatMetric(shown, primary)} ${primary.label}`,
      );
    }
  }

  const contenders = scenario.contenders.map(({ name }): ContenderResult => {
    const runs = measured.get(name)!;
    const metrics: Record<string, MetricSummary> = {};
    for (const spec of specs) {
      const values = runs.map((figures) => figures[spec.key] ?? Number.NaN);
      if (values.every(Number.isNaN)) continue;
      metrics[spec.key] = summarize(values);
    }
    return { name, metrics };
  });
  const figureOf = (name: string, metric: string): MetricSummary => {
    const found = contenders.find((result) => result.name === name);
    if (!found) throw new Error(`Scenario ${scenario.id}: names an unknown contender '${name}'`);
    const summary = found.metrics[metric];
    if (!summary) throw new Error(`Scenario ${scenario.id}: ${name} measured no '${metric}'`);
    return summary;
  };
  const perRoundRatios = (of: string, to: string, metric: string): number[] => {
    const [numerator, denominator] = [figureOf(of, metric), figureOf(to, metric)];
    return numerator.rounds.map((value, round) => value / denominator.rounds[round]);
  };
  const ratios = scenario.ratios.map((spec): RatioResult => {
    const { of, to, targetRatio, metric = primary.key } = spec;
    const perRound = perRoundRatios(of, to, metric);
    const ratio = median(perRound);
    const target = targetRatio ? median(perRoundRatios(targetRatio.of, targetRatio.to, metric)) : spec.target;
    const { better } = specOf(metric);
    return {
      of,
      to,
      metric,
      ratio,
      rounds: perRound,
      ratioOfMedians: figureOf(of, metric).median / figureOf(to, metric).median,
      target,
      targetFrom: targetRatio && `${targetRatio.of} / ${targetRatio.to}`,
      better,
      met: target === undefined ? undefined : better === 'higher' ? ratio >= target : ratio <= target,
    };
  });
  const limits = (scenario.limits ?? []).map(({ contender, metric, max, min }): LimitResult => {
    const value = figureOf(contender, metric).median;
    const met = (max === undefined || value <= max) && (min === undefined || value >= min);
    return { contender, metric, value, max, min, met };
  });
  return {
    id: scenario.id,
    title: scenario.title,
    size,
    rounds,
    primary: primary.key,
    columns: (scenario.columns ?? specs.map(({ key }) => key)).map(specOf),
    contenders,
    ratios,
    limits,
    notes: scenario.notes,
  };
}

/**
 * One run: untimed setup, timed `run()`, untimed teardown and server reset. Returns the built-in
 * figures (throughput, CPU of the server and of this process, server commands, per message) and
 * whatever `run()` measured itself.
 */
async function timedRun(
  contender: Contender,
  context: BenchContext,
  size: number,
  admin: Redis,
): Promise<Measurements> {
  const prepared = await contender.setup(context, size);
  try {
    const commandsBefore = await serverCommands(admin);
    const cpuBefore = serverCpuMicros(await admin.info('cpu'));
    const clientBefore = process.cpuUsage();
    const startedAt = process.hrtime.bigint();
    const own = (await prepared.run()) ?? {};
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const client = process.cpuUsage(clientBefore);
    const serverMicros = serverCpuMicros(await admin.info('cpu')) - cpuBefore;
    const commands = (await serverCommands(admin)) - commandsBefore;
    return {
      throughput: size / seconds,
      clientMicros: (client.user + client.system) / size,
      serverMicros: serverMicros / size,
      commands: commands / size,
      ...own,
    };
  } finally {
    await prepared.teardown();
    await admin.flushall();
  }
}

/**
 * Commands the server has run (INFO commandstats), commands inside scripts included, without the
 * runner's own INFO calls.
 */
export async function serverCommands(client: Redis): Promise<number> {
  const info = await client.info('commandstats');
  let total = 0;
  for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name !== 'info') total += Number(calls);
  }
  return total;
}

/**
 * CPU time of the server's main thread in microseconds (INFO cpu). Not INFO commandstats: it
 * counts the commands a script runs both on their own and inside the script's time.
 */
export function serverCpuMicros(info: string): number {
  const seconds = (field: string): number =>
    Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  const main = seconds('used_cpu_user_main_thread') + seconds('used_cpu_sys_main_thread');
  // Redis 7.0 has no per-thread fields: fall back to the whole process.
  return (Number.isNaN(main) ? seconds('used_cpu_user') + seconds('used_cpu_sys') : main) * 1e6;
}

function summarize(values: number[]): MetricSummary {
  const known = values.filter((value) => !Number.isNaN(value));
  return { rounds: values, median: median(known), min: Math.min(...known), max: Math.max(...known) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The value of a figure as its spec prints it. */
export function formatMetric(value: number, spec: MetricSpec): string {
  if (!Number.isFinite(value)) return '-';
  return spec.digits === 0 ? format(value) : value.toFixed(spec.digits);
}

/** Thousands separators, no decimals. */
export const format = (value: number): string => Math.round(value).toLocaleString('en-US');
