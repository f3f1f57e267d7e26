import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startValkey, type StartedValkey } from 'nestjs-valkey-queue/testing';
import { bootstrap } from './bootstrap.js';

/**
 * `npm run demo`: runs the sample app against VALKEY_URL, or, when it is unset, against a local
 * Valkey started just for the demo (and stopped on exit). `--ci` exits after the scripted run.
 */
const logger = new Logger('Demo');
const exitWhenDone = process.argv.includes('--ci');

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

const app = await bootstrap(Number(process.env.PORT ?? 3000));
const base = (await app.getUrl()).replace('[::1]', 'localhost');

const status = await fetch(`${base}/status`).then((response) => response.json());
const summary = [
  '',
  'nestjs-valkey-queue sample is running',
  `  Valkey:  ${process.env.VALKEY_QUEUE_URL} (${valkey ? 'embedded, stopped on exit' : 'from VALKEY_URL'})`,
  `  Status:  GET ${base}/status -> ${JSON.stringify(status)}`,
  exitWhenDone ? '' : '  Press Ctrl-C to stop.',
];
console.log(summary.join('\n'));

const shutdown = async (): Promise<void> => {
  await app.close();
  await valkey?.stop();
};
if (exitWhenDone) {
  await shutdown();
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void shutdown().then(() => process.exit(0)));
  }
}
