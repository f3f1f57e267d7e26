import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BenchContext, Contender, Scenario } from './scenario.js';

/** The runs of one contender in one scenario. */
export interface ContenderResult {
  name: string;
  /** Messages per second of each timed round, in round order. */
  rounds: number[];
  median: number;
  min: number;
  max: number;
  /**
   * Valkey CPU per message (INFO cpu of the server's main thread: commands, scripts, network I/O),
   * in microseconds, median of the rounds. Much less sensitive to machine load than throughput, so
   * it shows each contender's server-side cost.
   */
  serverMicrosPerMessage: number;
  /** CPU of this (the client) process per message, in microseconds, median of the rounds. */
  clientMicrosPerMessage: number;
}

/**
 * A ratio between two contenders: the median of the per-round ratios. Contenders of one round run
 * back to back, so pairing them by round cancels most drift in machine load (this benchmark often
 * shares its cores); the ratio of the medians is kept for reference.
 */
export interface RatioResult {
  of: string;
  to: string;
  ratio: number;
  /** Ratio of each round, in round order. */
  rounds: number[];
  /** median(of) / median(to). */
  ratioOfMedians: number;
  target?: number;
  /** Undefined when there is no target. */
  met?: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  size: number;
  rounds: number;
  contenders: ContenderResult[];
  ratios: RatioResult[];
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
 * Runs every contender of `scenario` once per round for `rounds` rounds. The order alternates
 * each round (A B C, then C B A, ...), so drift in machine load does not favour whoever runs first.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const size = scenario.size(options.quick);
  const context: BenchContext = {
    url: options.url,
    quick: options.quick,
    queueName: () => `bench-${randomUUID()}`,
  };
  const throughputs = new Map<string, number[]>(scenario.contenders.map(({ name }) => [name, []]));
  const serverCosts = new Map<string, number[]>(scenario.contenders.map(({ name }) => [name, []]));
  const clientCosts = new Map<string, number[]>(scenario.contenders.map(({ name }) => [name, []]));

  for (const contender of scenario.contenders) {
    const warmup = options.warmupSize(size);
    if (warmup > 0) await timedRun(contender, context, warmup, options.admin);
  }
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? scenario.contenders : [...scenario.contenders].reverse();
    for (const contender of order) {
      const { seconds, serverMicros, clientMicros } = await timedRun(contender, context, size, options.admin);
      const perSecond = size / seconds;
      throughputs.get(contender.name)!.push(perSecond);
      serverCosts.get(contender.name)!.push(serverMicros / size);
      clientCosts.get(contender.name)!.push(clientMicros / size);
      options.log(`  ${scenario.id} round ${round + 1}: ${contender.name} ${format(perSecond)} msg/s`);
    }
  }

  const contenders = scenario.contenders.map(({ name }): ContenderResult => {
    const rounds = throughputs.get(name)!;
    return {
      name,
      rounds,
      median: median(rounds),
      min: Math.min(...rounds),
      max: Math.max(...rounds),
      serverMicrosPerMessage: median(serverCosts.get(name)!),
      clientMicrosPerMessage: median(clientCosts.get(name)!),
    };
  });
  const resultOf = (name: string): ContenderResult => {
    const found = contenders.find((result) => result.name === name);
    if (!found) throw new Error(`Scenario ${scenario.id}: ratio names an unknown contender '${name}'`);
    return found;
  };
  const ratios = scenario.ratios.map(({ of, to, target }): RatioResult => {
    const [numerator, denominator] = [resultOf(of), resultOf(to)];
    const rounds = numerator.rounds.map((value, round) => value / denominator.rounds[round]);
    const ratio = median(rounds);
    const ratioOfMedians = numerator.median / denominator.median;
    return {
      of,
      to,
      ratio,
      rounds,
      ratioOfMedians,
      target,
      met: target === undefined ? undefined : ratio >= target,
    };
  });
  return {
    id: scenario.id,
    title: scenario.title,
    size,
    rounds: options.rounds,
    contenders,
    ratios,
    notes: scenario.notes,
  };
}

/**
 * One run: untimed setup, timed `run()`, untimed teardown and server reset. Returns the seconds,
 * and the CPU time (microseconds) the server and this process spent during `run()`.
 */
async function timedRun(
  contender: Contender,
  context: BenchContext,
  size: number,
  admin: Redis,
): Promise<{ seconds: number; serverMicros: number; clientMicros: number }> {
  const prepared = await contender.setup(context, size);
  try {
    const cpuBefore = serverCpuMicros(await admin.info('cpu'));
    const clientBefore = process.cpuUsage();
    const startedAt = process.hrtime.bigint();
    await prepared.run();
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const client = process.cpuUsage(clientBefore);
    return {
      seconds,
      serverMicros: serverCpuMicros(await admin.info('cpu')) - cpuBefore,
      clientMicros: client.user + client.system,
    };
  } finally {
    await prepared.teardown();
    await admin.flushall();
  }
}

/**
 * CPU time of the server's main thread in microseconds (INFO cpu). Not INFO commandstats: it
 * counts the commands a script runs both on their own and inside the script's time.
 */
function serverCpuMicros(info: string): number {
  const seconds = (field: string): number =>
    Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  const main = seconds('used_cpu_user_main_thread') + seconds('used_cpu_sys_main_thread');
  // Redis 7.0 has no per-thread fields: fall back to the whole process.
  return (Number.isNaN(main) ? seconds('used_cpu_user') + seconds('used_cpu_sys') : main) * 1e6;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export const format = (perSecond: number): string => Math.round(perSecond).toLocaleString('en-US');
