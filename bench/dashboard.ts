// Dashboard benchmark: `npm run bench:dashboard [-- --quick]`. Starts its own Valkey and a Nest app
// with the dashboard on Express, seeds 1,000 queues and a dead-letter stream of 100,000 entries,
// then times the API calls the pages make (median and p95 of repeated calls over HTTP) and counts
// the Valkey commands of one live refresh.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { ValkeyQueueModule } from 'nestjs-valkey-queue';
import { ValkeyQueueDashboardModule } from 'nestjs-valkey-queue/dashboard';
import { startValkey } from 'nestjs-valkey-queue/testing';

const quick = process.argv.includes('--quick');
const QUEUES = quick ? 200 : 1_000;
const DEAD = quick ? 10_000 : 100_000;
const RUNS = quick ? 5 : 20;
const BUDGET_MS = 300;

async function seed(client: Redis): Promise<void> {
  for (let start = 0; start < QUEUES; start += 100) {
    const pipeline = client.pipeline();
    for (let index = start; index < Math.min(QUEUES, start + 100); index++) {
      const tag = `{vq:bench-${String(index).padStart(4, '0')}}`;
      for (let n = 0; n < 3; n++)
        pipeline.xadd(`${tag}:stream`, '*', 'v', '1', 'id', `m-${index}-${n}`, 'payload', '{}');
      pipeline.hset(`${tag}:stats`, 'processed', 10, 'failed', 1);
    }
    await pipeline.exec();
  }
  const dead = '{vq:bench-dead}:dead';
  for (let start = 0; start < DEAD; start += 1_000) {
    const pipeline = client.pipeline();
    for (let index = start; index < Math.min(DEAD, start + 1_000); index++) {
      pipeline.xadd(
        dead,
        '*',
        'v',
        '1',
        'id',
        `d-${index}`,
        'payload',
        `{"order":${index}}`,
        'headers',
        '{}',
        'createdAt',
        String(Date.now()),
        'attempt',
        '4',
        'labels',
        `{"tenant":"t${index % 10}"}`,
        'reason',
        index % 1000 === 0 ? 'expired' : 'dead',
        'error',
        'card declined',
        'attempts',
        '4',
        'failedAt',
        String(Date.now()),
      );
    }
    await pipeline.exec();
  }
}

const AUTH = { authorization: `Basic ${Buffer.from('bench:bench').toString('base64')}` };

async function time(url: string): Promise<{ median: number; p95: number; bytes: number }> {
  const samples: number[] = [];
  let bytes = 0;
  for (let run = 0; run < RUNS + 2; run++) {
    const started = performance.now();
    const response = await fetch(url, { headers: AUTH });
    const body = await response.arrayBuffer();
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    if (run >= 2) samples.push(performance.now() - started); // two warm-up calls
    bytes = body.byteLength;
  }
  samples.sort((a, b) => a - b);
  return {
    median: samples[Math.floor(samples.length / 2)],
    p95: samples[Math.ceil(samples.length * 0.95) - 1],
    bytes,
  };
}

async function main(): Promise<void> {
  const valkey = await startValkey();
  const client = new Redis(valkey.url);
  @Module({
    imports: [
      ValkeyQueueModule.forRoot({ connection: { url: valkey.url } }),
      ValkeyQueueDashboardModule.forRoot({ basicAuth: { username: 'bench', password: 'bench' } }),
    ],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: ['error'] });
  try {
    await seed(client);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    const api = `http://127.0.0.1:${port}/admin/queues/api`;
    const page = (await (
      await fetch(`${api}/queues/bench-dead/dead-letters?limit=50`, { headers: AUTH })
    ).json()) as { nextCursor: string };
    const rows: [string, string][] = [
      [`overview, ${QUEUES} queues in one page`, `${api}/queues?limit=1000`],
      ['overview, first 100 queues', `${api}/queues?limit=100`],
      [
        `dead letters (${DEAD.toLocaleString()}), first page of 50`,
        `${api}/queues/bench-dead/dead-letters?limit=50`,
      ],
      [
        'dead letters, next page (cursor)',
        `${api}/queues/bench-dead/dead-letters?limit=50&cursor=${page.nextCursor}`,
      ],
      [
        'dead letters, label filter (1 in 10)',
        `${api}/queues/bench-dead/dead-letters?limit=50&label.tenant=t3`,
      ],
      [
        'dead letters, reason filter (1 in 1,000)',
        `${api}/queues/bench-dead/dead-letters?limit=50&reason=expired`,
      ],
    ];
    console.log(
      `dashboard bench: ${quick ? 'quick' : 'full'} run, ${RUNS} timed calls each, budget ${BUDGET_MS} ms\n`,
    );
    console.log(`${'call'.padEnd(46)} ${'median'.padStart(9)} ${'p95'.padStart(9)} ${'reply'.padStart(10)}`);
    for (const [label, url] of rows) {
      const { median, p95, bytes } = await time(url);
      const verdict = median < BUDGET_MS ? '' : `  over ${BUDGET_MS} ms`;
      console.log(
        `${label.padEnd(46)} ${`${median.toFixed(1)} ms`.padStart(9)} ${`${p95.toFixed(1)} ms`.padStart(9)} ${`${(bytes / 1024).toFixed(0)} KiB`.padStart(10)}${verdict}`,
      );
    }
    console.log(
      `\nlive refresh of ${QUEUES} queues: ${await commandsPerRefresh(client, `${api}/events`)} commands per refresh`,
    );
  } finally {
    await app.close();
    client.disconnect();
    await valkey.stop();
  }
}

/** Commands between two consecutive live events (one browser open), INFO left out. */
async function commandsPerRefresh(client: Redis, url: string): Promise<number> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: AUTH, signal: controller.signal });
  const counts: number[] = [];
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const events = decoder.decode(chunk, { stream: true }).split('\n\n').length - 1;
      for (let event = 0; event < events; event++) counts.push(await commandCount(client));
      if (counts.length >= 3) break;
    }
  } finally {
    controller.abort();
  }
  return counts[2] - counts[1];
}

async function commandCount(client: Redis): Promise<number> {
  let total = 0;
  for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_(?!info)[^:]+:calls=(\d+)/gm))
    total += Number(match[1]);
  return total;
}

await main();
