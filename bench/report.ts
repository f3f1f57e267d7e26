import { format, formatMetric, type ScenarioResult } from './runner.js';

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
      `## ${result.id}: ${result.title} (N = ${format(result.size)}, median of ${result.rounds} round${result.rounds === 1 ? '' : 's'})`,
    );
    const primary = result.columns.find(({ key }) => key === result.primary) ?? result.columns[0];
    const rows = [
      ['contender', ...result.columns.map(({ label }) => label), `${primary.label} min - max`],
      ...result.contenders.map(({ name, metrics }) => {
        const range = metrics[primary.key];
        return [
          name,
          ...result.columns.map((spec) => formatMetric(metrics[spec.key]?.median ?? Number.NaN, spec)),
          range ? `${formatMetric(range.min, primary)} - ${formatMetric(range.max, primary)}` : '-',
        ];
      }),
    ];
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    for (const row of rows) {
      lines.push(
        row
          .map((cell, column) =>
            column === 0 || column === row.length - 1
              ? cell.padEnd(widths[column])
              : cell.padStart(widths[column]),
          )
          .join('  ')
          .trimEnd(),
      );
    }
    for (const ratio of result.ratios) {
      const bar = ratio.better === 'higher' ? '>=' : '<=';
      const verdict =
        ratio.target === undefined
          ? ''
          : `  (target ${bar} ${ratio.targetFrom ? `${ratio.targetFrom} = ${formatRatio(ratio.target)}` : ratio.target}x: ${ratio.met ? 'PASS' : 'MISS'})`;
      const perRound = ratio.rounds.map(formatRatio).join(', ');
      const label = result.columns.find(({ key }) => key === ratio.metric)?.label ?? ratio.metric;
      lines.push(
        `ratio ${ratio.of} / ${ratio.to} (${label}) = ${formatRatio(ratio.ratio)}x${verdict}  [rounds: ${perRound}; of medians: ${formatRatio(ratio.ratioOfMedians)}x]`,
      );
    }
    for (const limit of result.limits) {
      const bars = [
        limit.max === undefined ? '' : `<= ${limit.max}`,
        limit.min === undefined ? '' : `>= ${limit.min}`,
      ].filter(Boolean);
      lines.push(
        `limit ${limit.contender} ${limit.metric} = ${limit.value.toPrecision(3)} (target ${bars.join(' and ')}: ${limit.met ? 'PASS' : 'MISS'})`,
      );
    }
    if (result.notes) lines.push(`note: ${result.notes}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Two decimals, or two significant digits for small ratios (0.0018x, not 0.00x). */
const formatRatio = (ratio: number): string =>
  Math.abs(ratio) >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2);
