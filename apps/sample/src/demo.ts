import 'reflect-metadata';
import './demo/demo-env.js';
import { ConsoleLogger, Logger, type LogLevel } from '@nestjs/common';
import { QueueHistory } from 'nestjs-valkey-queue';
import {
  startPostgres,
  startValkey,
  type StartedPostgres,
  type StartedValkey,
} from 'nestjs-valkey-queue/testing';
import { ActivityFeed, ActivityLog } from './activity/activity.log.js';
import { AppModule } from './app.module.js';
import { bootstrap } from './bootstrap.js';
import { DASHBOARD_PATH, dashboardCredentials } from './dashboard/dashboard.credentials.js';
import { MetricsSource } from './metrics/metrics.source.js';
import { DemoMetrics } from './demo/demo-metrics.js';
import {
  runOwnershipHandOver,
  runQueueBurst,
  type DemoCheck,
  type DemoInstance,
} from './demo/demo-scenario.js';

/**
 * `npm run demo`: two instances of the sample app against VALKEY_URL or, when it is unset, a local
 * Valkey started for the demo (stopped on exit). Runs a scripted burst that shows every feature,
 * prints a summary, then keeps serving until Ctrl-C. `--ci` exits after the summary (non-zero if a
 * step failed); `--verbose` prints every log line (boot, activity, schedule ticks, stack traces).
 */
const exitWhenDone = process.argv.includes('--ci');
const verbose = process.argv.includes('--verbose');
const port = Number(process.env.PORT ?? 3000);

/** The scripted failures are the point of the demo: their one warning line says enough. */
class DemoLogger extends ConsoleLogger {
  protected override printStackTrace(): void {}
}
const QUIET_LEVELS: LogLevel[] = ['warn', 'error', 'fatal'];
const nestLogger = verbose ? new ConsoleLogger() : new DemoLogger({ logLevels: QUIET_LEVELS });
Logger.overrideLogger(nestLogger);

const feed = new ActivityFeed();
const metrics = new DemoMetrics();
const instances: DemoInstance[] = [];
let valkey: StartedValkey | undefined;
let postgres: StartedPostgres | undefined;

// The demo stops its apps, then the server, on the first signal. The apps' own shutdown hooks stay
// off: they re-raise the signal when done, which would end the process before the server is stopped.
let stopping: Promise<void> | undefined;
const stop = (): Promise<void> =>
  (stopping ??= (async () => {
    await Promise.allSettled(instances.map(({ app }) => app.close()));
    await valkey?.stop();
    await postgres?.stop();
  })());
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    // A second signal does not wait: exiting kills the server (the harness's exit handler).
    if (stopping) process.exit(1);
    void stop().then(() => process.exit(0));
  });
}

/** Starts one instance; its name stands for a pod's, so a restarted instance reuses its consumers. */
async function startInstance(name: string, listenOn: number): Promise<DemoInstance['app']> {
  const podName = process.env.POD_NAME;
  process.env.POD_NAME = `demo-${name.replace(/\s+/g, '-').toLowerCase()}`;
  try {
    const module = AppModule.withProviders([
      { provide: ActivityLog, useValue: ActivityLog.sharing(feed, name) },
      { provide: MetricsSource, useValue: metrics },
    ]);
    const app = await bootstrap(listenOn, { module, shutdownHooks: false, logger: nestLogger });
    metrics.add(app);
    return app;
  } finally {
    if (podName === undefined) delete process.env.POD_NAME;
    else process.env.POD_NAME = podName;
  }
}

console.log(
  `nestjs-valkey-queue demo: two app instances and a scripted burst${verbose ? '' : ' (--verbose prints every log line)'}`,
);
if (process.env.VALKEY_URL) {
  process.env.VALKEY_QUEUE_URL ??= process.env.VALKEY_URL;
} else {
  // In a process group of its own: a terminal's Ctrl-C reaches only us, and we stop the apps first.
  valkey = await startValkey({ ownProcessGroup: true }).catch((error: Error) => {
    console.error(`Could not start a local Valkey for the demo: ${error.message}`);
    process.exit(1);
  });
  process.env.VALKEY_QUEUE_URL = valkey.url;
}
// Task history on an embedded PostgreSQL when one is installed (or DATABASE_URL, or Docker).
if (!process.env.VALKEY_QUEUE_HISTORY_URL) {
  postgres = await startPostgres().catch(() => undefined);
  if (postgres) process.env.VALKEY_QUEUE_HISTORY_URL = postgres.url;
}

for (const [name, listenOn] of [
  ['instance A', port],
  ['instance B', 0],
] as const) {
  instances.push({ name, app: await startInstance(name, listenOn) });
}
const base = (await instances[0].app.getUrl()).replace('[::1]', 'localhost');

const checks: DemoCheck[] = await runQueueBurst(base, feed, instances);
const handOver = await runOwnershipHandOver(base, feed, instances, async (instance) => {
  await metrics.retire(instance.app);
  await instance.app.close(); // shutdown hands the stream back instead of abandoning it
});
checks.push(handOver.check);
if (handOver.closed) {
  // The instance that handed its stream over is started again, so the demo keeps both replicas.
  const { closed } = handOver;
  closed.app = await startInstance(closed.name, closed === instances[0] ? port : 0);
}

const url = (await instances[0].app.getUrl()).replace('[::1]', 'localhost');
const width = Math.max(...checks.map(({ feature }) => feature.length));
const embedded = !valkey
  ? 'from VALKEY_URL'
  : valkey.pid === undefined
    ? 'in Docker, stopped on exit'
    : `embedded, pid ${valkey.pid}, stopped on exit`;
console.log(
  [
    '',
    'nestjs-valkey-queue sample: what just happened',
    ...checks.map(
      ({ ok, feature, detail }) => `  ${ok ? 'ok  ' : 'FAIL'} ${feature.padEnd(width)}  ${detail}`,
    ),
    '',
    `Valkey: ${process.env.VALKEY_QUEUE_URL} (${embedded})`,
    `Dashboard: ${url}${DASHBOARD_PATH} (user ${dashboardCredentials.username}, password ${dashboardCredentials.password})`,
    await historyLine(),
    ...(exitWhenDone
      ? []
      : [
          `Try (instance A; /activity, /metrics and /health cover both instances):`,
          `  curl -s ${url}/health`,
          `  curl -s ${url}/queues`,
          `  curl -s ${url}/activity`,
          `  curl -s ${url}/metrics`,
          `  curl -s -X POST ${url}/registrations -H 'content-type: application/json' -d '{"email":"you@example.com","name":"You","plan":"pro"}'`,
          `  curl -s -X POST ${url}/sessions/my-session`,
          `  curl -s -X POST ${url}/queues/registrations/redrive`,
          verbose ? 'Press Ctrl-C to stop.' : 'Press Ctrl-C to stop (--verbose shows what runs meanwhile).',
        ]),
  ].join('\n'),
);

if (exitWhenDone) {
  await stop();
  process.exitCode = checks.every(({ ok }) => ok) ? 0 : 1;
}

/** What the task history recorded, or how to turn it on. */
async function historyLine(): Promise<string> {
  const history = instances[0].app.get(QueueHistory);
  if (!history.enabled)
    return 'History: off (install PostgreSQL, e.g. apt-get install postgresql, or set DATABASE_URL, to record it)';
  await history.flush();
  const { items } = await history.search({ limit: 1000 });
  const where =
    postgres?.pid === undefined
      ? process.env.VALKEY_QUEUE_HISTORY_URL
      : `embedded, pid ${postgres.pid}, stopped on exit`;
  return `History: ${items.length} messages recorded in PostgreSQL (${where})`;
}
