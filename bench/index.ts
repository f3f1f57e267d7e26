// Benchmark runner: `npm run bench [-- --quick] [--json] [--only <id>[,<id>...]] [--rounds <n>]`.
// Starts its own Valkey, runs every scenario of bench/scenarios/index.ts and prints medians and ratios.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import { startValkey } from 'nestjs-valkey-queue/testing';
import { renderReport, type Environment } from './report.js';
import { runScenario, type ScenarioResult } from './runner.js';
import type { Scenario } from './scenario.js';
import * as registered from './scenarios/index.js';
import { stopHistoryPostgres } from './scenarios/history.js';

interface Flags {
  quick: boolean;
  json: boolean;
  /** Scenario ids to run (all when empty). Prefixes match too: `send` runs every send-* scenario. */
  only: string[];
  rounds: number;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { quick: false, json: false, only: [], rounds: 3 };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    if (flag === '--quick') flags.quick = true;
    else if (flag === '--json') flags.json = true;
    else if (flag === '--only') flags.only.push(...(argv[++index] ?? '').split(',').filter(Boolean));
    else if (flag === '--rounds') flags.rounds = Number(argv[++index]);
    else throw new Error(`Unknown flag ${flag}. Flags: --quick, --json, --only <id>[,<id>...], --rounds <n>`);
  }
  if (!Number.isInteger(flags.rounds) || flags.rounds < 1)
    throw new Error('--rounds needs a whole number >= 1');
  return flags;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const scenarios = (Object.values(registered) as Scenario[])
    .filter(({ id }) => flags.only.length === 0 || flags.only.some((wanted) => id.startsWith(wanted)))
    .sort((a, b) => a.id.localeCompare(b.id));
  if (scenarios.length === 0) throw new Error(`No scenario matches --only ${flags.only.join(',')}`);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const server = await startValkey();
  const admin = new Redis(server.url, { disconnectTimeout: 100 });
  try {
    const environment = await describeEnvironment(admin);
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      log(`running ${scenario.id} ...`);
      results.push(
        await runScenario(scenario, {
          url: server.url,
          quick: flags.quick,
          rounds: flags.rounds,
          warmupSize: (size) => Math.min(2_000, Math.ceil(size / 10)),
          admin,
          log,
        }),
      );
    }
    process.stdout.write(
      flags.json
        ? `${JSON.stringify({ environment, results }, null, 2)}\n`
        : `${renderReport(environment, results)}\n`,
    );
  } finally {
    await admin.quit();
    await server.stop();
    await stopHistoryPostgres();
  }
}

async function describeEnvironment(admin: Redis): Promise<Environment> {
  const info = await admin.info('server');
  const field = (name: string): string => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
  const server =
    field('valkey_version') !== '?' ? `valkey ${field('valkey_version')}` : `redis ${field('redis_version')}`;
  // Read from node_modules directly: some packages do not export their package.json.
  const versionOf = (name: string): string => {
    try {
      const file = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? '?',
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg(),
    os: `${os.type()} ${os.release()}`,
    node: process.versions.node,
    server,
    versions: Object.fromEntries(
      ['nestjs-valkey-queue', 'ioredis', 'bullmq', 'cockatiel'].map((name) => [name, versionOf(name)]),
    ),
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
      ' ',
    ),
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
