import 'reflect-metadata';
import './demo/demo-env.js';
import { Logger } from '@nestjs/common';
import { startValkey, type StartedValkey } from 'nestjs-valkey-queue/testing';
import { bootstrap } from './bootstrap.js';
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
 * step failed).
 */
const logger = new Logger('Demo');
const exitWhenDone = process.argv.includes('--ci');
const port = Number(process.env.PORT ?? 3000);

let valkey: StartedValkey | undefined;
if (process.env.VALKEY_URL) {
  process.env.VALKEY_QUEUE_URL ??= process.env.VALKEY_URL;
} else {
  valkey = await startValkey().catch((error: Error) => {
    logger.error(error.message);
    process.exit(1);
  });
  process.env.VALKEY_QUEUE_URL = valkey.url;
  logger.log(`Started a local Valkey for the demo at ${valkey.url} (pid ${valkey.pid})`);
}

const instances: DemoInstance[] = [
  { name: 'instance A', app: await bootstrap(port) },
  { name: 'instance B', app: await bootstrap(0) },
];
const base = (await instances[0].app.getUrl()).replace('[::1]', 'localhost');

const checks: DemoCheck[] = await runQueueBurst(base, instances);
const handOver = await runOwnershipHandOver(base, instances);
checks.push(handOver.check);
if (handOver.closed) {
  // The instance that handed its stream over is started again, so the demo keeps both replicas.
  handOver.closed.app = await bootstrap(handOver.closed === instances[0] ? port : 0);
}

const url = (await instances[0].app.getUrl()).replace('[::1]', 'localhost');
const width = Math.max(...checks.map(({ feature }) => feature.length));
console.log(
  [
    '',
    'nestjs-valkey-queue sample: what just happened',
    ...checks.map(
      ({ ok, feature, detail }) => `  ${ok ? 'ok  ' : 'FAIL'} ${feature.padEnd(width)}  ${detail}`,
    ),
    '',
    `Valkey: ${process.env.VALKEY_QUEUE_URL} (${valkey ? 'embedded, stopped on exit' : 'from VALKEY_URL'})`,
    'Try:',
    `  curl -s ${url}/health`,
    `  curl -s ${url}/queues`,
    `  curl -s ${url}/activity`,
    `  curl -s -X POST ${url}/registrations -H 'content-type: application/json' -d '{"email":"you@example.com","name":"You","plan":"pro"}'`,
    `  curl -s -X POST ${url}/queues/registrations/redrive`,
    exitWhenDone ? '' : 'Press Ctrl-C to stop.',
  ].join('\n'),
);

const shutdown = async (): Promise<void> => {
  await Promise.all(instances.map(({ app }) => app.close()));
  await valkey?.stop();
};
if (exitWhenDone) {
  await shutdown();
  process.exitCode = checks.every(({ ok }) => ok) ? 0 : 1;
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void shutdown().then(() => process.exit(0)));
  }
}
