/**
 * What a benchmark scenario is. A scenario measures one workload (e.g. "single send") for several
 * contenders (this library, BullMQ, raw ioredis); the runner runs every contender once per round,
 * in alternating order, for several rounds, and reports medians and ratios.
 *
 * To add one: write `bench/scenarios/<name>.ts` with `export default defineScenario({...})`, then
 * add one line to `bench/scenarios/index.ts`.
 */

/** Shared by every run of a benchmark invocation. */
export interface BenchContext {
  /** `redis://127.0.0.1:<port>` of the server the runner started. */
  readonly url: string;
  /** `--quick`: smaller workloads for a smoke run. */
  readonly quick: boolean;
  /** A fresh, unique queue name for one run. */
  queueName(): string;
}

/** Figures a run measured itself (latency percentiles, bytes, commands per second), by metric key. */
export type Measurements = Readonly<Record<string, number>>;

/** One prepared run of a contender: `run()` is timed, setup and `teardown()` are not. */
export interface PreparedRun {
  /**
   * Does the scenario's workload (exactly `size` messages). May return figures it measured itself,
   * keyed as the scenario's `metrics` declare them.
   */
  run(): Promise<void | Measurements>;
  /** Closes what setup opened. */
  teardown(): Promise<void>;
}

/** A library or baseline measured by a scenario. */
export interface Contender {
  /** Name in the report, e.g. `QueueSender.send`. */
  readonly name: string;
  /** Prepares one run of `size` messages (connect, build payloads); not timed. */
  setup(context: BenchContext, size: number): Promise<PreparedRun>;
}

/** How one figure is named, shown and judged. */
export interface MetricSpec {
  /** Key in the results and in what `run()` returns. */
  readonly key: string;
  /** Column title, with its unit. */
  readonly label: string;
  /** Which direction is better: decides whether a ratio target is a floor or a ceiling. */
  readonly better: 'higher' | 'lower';
  /** Decimals shown (0: thousands separators). */
  readonly digits: number;
}

/**
 * Figures the runner measures for every run itself:
 * - `throughput`: `size` / seconds of `run()`;
 * - `clientMicros`, `serverMicros`: CPU per message of this process and of Valkey's main thread;
 * - `commands`: server commands per message (INFO commandstats delta, commands inside scripts included).
 */
export const BUILT_IN_METRICS: readonly MetricSpec[] = [
  { key: 'throughput', label: 'msg/s', better: 'higher', digits: 0 },
  { key: 'clientMicros', label: 'client µs/msg', better: 'lower', digits: 1 },
  { key: 'serverMicros', label: 'server µs/msg', better: 'lower', digits: 1 },
  { key: 'commands', label: 'cmds/msg', better: 'lower', digits: 3 },
];

/** A ratio of two contenders' figures, with an optional target it must reach. */
export interface RatioSpec {
  /** Numerator contender name. */
  readonly of: string;
  /** Denominator contender name. */
  readonly to: string;
  /** The figure compared (default: the scenario's `primary`). */
  readonly metric?: string;
  /**
   * The bar: a floor when the metric is better higher, a ceiling when it is better lower
   * (e.g. p99 latency <= 1.0x BullMQ's). The report marks it PASS or MISS.
   */
  readonly target?: number;
  /**
   * A bar set by another ratio of the same run (e.g. the incumbent's traced / untraced): this ratio
   * must be at least (or at most) that one. Takes the place of `target`.
   */
  readonly targetRatio?: { readonly of: string; readonly to: string };
}

/** An absolute bar one contender's figure must meet (e.g. <= 0.1 server commands per message). */
export interface LimitSpec {
  readonly contender: string;
  readonly metric: string;
  readonly max?: number;
  readonly min?: number;
}

/** A workload measured for several contenders. */
export interface Scenario {
  /** Short id, used in `--only <id>` and in the JSON output. */
  readonly id: string;
  /** Human title for the report. */
  readonly title: string;
  /** Messages per run. */
  size(quick: boolean): number;
  readonly contenders: readonly Contender[];
  readonly ratios: readonly RatioSpec[];
  /** Figures `run()` returns, beyond the built-in ones. */
  readonly metrics?: readonly MetricSpec[];
  /** The figure the report leads with and ratios use by default. @default 'throughput' */
  readonly primary?: string;
  /** The figures shown, in order (all are in the JSON). @default every built-in, then `metrics` */
  readonly columns?: readonly string[];
  readonly limits?: readonly LimitSpec[];
  /** Rounds for this scenario, overriding `--rounds` (long steady-state scenarios). */
  readonly rounds?: (requested: number, quick: boolean) => number;
  /** Whether each contender gets an untimed warm-up run first. @default true */
  readonly warmup?: boolean;
  /** One line on what limits the figures, printed under the table. */
  readonly notes?: string;
}

/** Identity helper that type-checks a scenario definition. */
export const defineScenario = (scenario: Scenario): Scenario => scenario;
