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

/** One prepared run of a contender: `run()` is timed, setup and `teardown()` are not. */
export interface PreparedRun {
  /** Does the scenario's workload (exactly `size` messages). */
  run(): Promise<void>;
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

/** A ratio of two contenders' median throughputs, with an optional target it must reach. */
export interface RatioSpec {
  /** Numerator contender name. */
  readonly of: string;
  /** Denominator contender name. */
  readonly to: string;
  /** Minimum acceptable ratio; the report marks it PASS or MISS. */
  readonly target?: number;
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
  /** One line on what limits the figures, printed under the table. */
  readonly notes?: string;
}

/** Identity helper that type-checks a scenario definition. */
export const defineScenario = (scenario: Scenario): Scenario => scenario;
