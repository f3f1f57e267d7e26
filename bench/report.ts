import { format, type ScenarioResult } from './runner.js';

/** Facts about the machine and versions, printed above the tables. */
export interface Environment {
  date: string;
  cpu: string;
  cpus: number;
  memoryGiB: number;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews every figure. */
  loadAverage: number[];
  os: string;
  node: string;
  server: string;
  versions: Record<string, string>;
  command: string;
}

/** The human report: one table per scenario, then its ratios. */
export function renderReport(environment: Environment, results: ScenarioResult[]): string {
  const lines = [
    `nestjs-valkey-queue benchmarks, ${environment.date}`,
    `machine: ${environment.cpu} x${environment.cpus}, ${environment.memoryGiB} GiB, ${environment.os}, load average at start ${environment.loadAverage.map((load) => load.toFixed(2)).join(' ')}`,
    `software: node ${environment.node}, ${environment.server}, ${Object.entries(environment.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    `command: ${environment.command}`,
    '',
  ];
  for (const result of results) {
    lines.push(
      `## ${result.id}: ${result.title} (N = ${format(result.size)}, median of ${result.rounds} rounds)`,
    );
    const width = Math.max(...result.contenders.map(({ name }) => name.length), 'contender'.length);
    lines.push(
      `${'contender'.padEnd(width)}  ${'msg/s (median)'.padStart(14)}  ${'client µs/msg'.padStart(13)}  ${'server µs/msg'.padStart(13)}  min - max`,
    );
    for (const contender of result.contenders) {
      lines.push(
        `${contender.name.padEnd(width)}  ${format(contender.median).padStart(14)}  ${contender.clientMicrosPerMessage.toFixed(1).padStart(13)}  ${contender.serverMicrosPerMessage.toFixed(1).padStart(13)}  ${format(contender.min)} - ${format(contender.max)}`,
      );
    }
    for (const ratio of result.ratios) {
      const verdict =
        ratio.target === undefined ? '' : `  (target >= ${ratio.target}x: ${ratio.met ? 'PASS' : 'MISS'})`;
      const perRound = ratio.rounds.map((value) => value.toFixed(2)).join(', ');
      lines.push(
        `ratio ${ratio.of} / ${ratio.to} = ${ratio.ratio.toFixed(2)}x${verdict}  [rounds: ${perRound}; of medians: ${ratio.ratioOfMedians.toFixed(2)}x]`,
      );
    }
    if (result.notes) lines.push(`note: ${result.notes}`);
    lines.push('');
  }
  return lines.join('\n');
}
