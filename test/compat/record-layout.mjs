// Records the keys one version of the library leaves in Valkey after a scripted workload, as JSON,
// so that later versions can be tested against the layout an earlier one wrote
// (test/compat/previous-layout.e2e-spec.ts replays the recording into a fresh server).
//
//   node test/compat/record-layout.mjs <built library entry, e.g. libs/valkey-queue/dist/index.js> \
//     <redis://host:port of an empty server> <output.json> [<label of the version>]
//
// Plain JavaScript, with decorators applied by hand, so that it runs against any built version
// without compiling anything. The workload leaves every kind of key a queue can hold: waiting
// stream entries behind acked ones, a delayed message, a retry copy, dead and broken dead
// letters, waiting and delayed list elements, a list dead letter, stats and a schedule.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, url, output, label = 'unknown'] = process.argv.slice(2);
if (!entry || !url || !output) {
  console.error('usage: record-layout.mjs <library entry> <redis url> <output.json> [label]');
  process.exit(2);
}
const lib = await import(pathToFileURL(resolve(entry)).href);
const {
  ValkeyQueueModule,
  QueueSender,
  QueueScheduler,
  QueueAdmin,
  QueueWorker,
  OnMessage,
  UnrecoverableError,
} = lib;
const { getSenderToken } = lib;

export const STREAM_QUEUE = 'compat-stream';
export const LIST_QUEUE = 'compat-list';
const HOUR = 3_600_000;
/** A payload whose text must survive byte for byte (contract item 2). */
const tricky = (n) => ({ n, empty: [], object: {}, big: 1234567890123456, path: 'a/b' });

function worker(queue, options, handle) {
  class Recorder {
    handle(message) {
      return handle(message);
    }
  }
  Injectable()(Recorder);
  OnMessage()(Recorder.prototype, 'handle', Object.getOwnPropertyDescriptor(Recorder.prototype, 'handle'));
  QueueWorker(queue, options)(Recorder);
  return Recorder;
}

async function app(providers) {
  class RecorderModule {}
  const imports = [
    ValkeyQueueModule.forRoot({ connection: { url } }),
    ValkeyQueueModule.registerSender({ name: LIST_QUEUE, transport: 'list' }),
  ];
  Module({ imports, providers })(RecorderModule);
  const context = await NestFactory.createApplicationContext(RecorderModule, { logger: ['error'] });
  await context.init();
  return context;
}

async function until(check, what) {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const client = new Redis(url);

// 1. Workers handle one message each way: processed, retried in an hour, dead, broken.
/** An error whose stack names no file of the machine that recorded (dead letters keep stacks). */
const thrown = (error) => Object.assign(error, { stack: `${error.name}: ${error.message}\n    at recorder` });
const outcomes = (message) => {
  const { n } = message.payload;
  if (n === 6) throw thrown(new Error('failed once, retried in an hour'));
  if (n === 7) throw thrown(new UnrecoverableError('never works'));
};
const first = await app([
  worker(STREAM_QUEUE, { maxRetries: 1, backoff: HOUR }, outcomes),
  worker(LIST_QUEUE, { transport: 'list', maxRetries: 1, backoff: HOUR }, outcomes),
]);
const sender = first.get(QueueSender);
const listSender = first.get(getSenderToken(LIST_QUEUE));
for (const n of [0, 6, 7]) {
  await sender.send(STREAM_QUEUE, tricky(n));
  await listSender.send(tricky(n));
}
await client.xadd(`{vq:${STREAM_QUEUE}}:stream`, '*', 'garbage', 'not an envelope');
const admin = first.get(QueueAdmin);
await until(async () => {
  const [stream, list] = await Promise.all([admin.stats(STREAM_QUEUE), admin.stats(LIST_QUEUE)]);
  const stream1 = stream.processed === 1 && stream.retried === 1 && stream.dead === 1 && stream.broken === 1;
  return stream1 && list.processed === 1 && list.retried === 1 && list.dead === 1;
}, 'the first outcomes');
await first.close();

// 2. With no worker running: waiting messages, delayed ones, a schedule.
const second = await app([]);
const later = second.get(QueueSender);
await later.send(STREAM_QUEUE, tricky(1), { headers: { trace: 't-1' } });
await later.send(STREAM_QUEUE, tricky(2), { ttl: 10 * 365 * 24 * HOUR });
await later.send(STREAM_QUEUE, tricky(3), { dedupKey: 'order-3' });
await later.send(STREAM_QUEUE, tricky(4), { delay: HOUR });
const laterList = second.get(getSenderToken(LIST_QUEUE));
await laterList.send(tricky(1), { headers: { trace: 'l-1' } });
await laterList.send(tricky(2));
await laterList.send(tricky(4), { delay: HOUR });
await second
  .get(QueueScheduler)
  .upsert({ name: 'compat-tick', every: 24 * HOUR, queue: STREAM_QUEUE, payload: { tick: true } });
await second.close();

// 3. Every key, as commands can restore it.
const keys = [];
for (const key of (await client.keys('*')).sort()) {
  const type = await client.type(key);
  const pttl = await client.pttl(key);
  const record = { key, type, pttl };
  if (type === 'stream') {
    record.entries = await client.xrange(key, '-', '+');
    const groups = (await client.call('XINFO', 'GROUPS', key)) ?? [];
    record.groups = groups.map((group) => {
      const info = Object.fromEntries(
        group.flatMap((value, index) => (index % 2 ? [] : [[value, group[index + 1]]])),
      );
      if (Number(info.pending) !== 0) throw new Error(`${key}: group ${info.name} still has pending entries`);
      return { name: info.name, lastDeliveredId: info['last-delivered-id'] };
    });
  } else if (type === 'zset') {
    const flat = await client.zrange(key, 0, -1, 'WITHSCORES');
    record.members = flat.flatMap((value, index) => (index % 2 ? [] : [[value, flat[index + 1]]]));
  } else if (type === 'hash') {
    record.fields = await client.hgetall(key);
  } else if (type === 'list') {
    record.elements = await client.lrange(key, 0, -1);
  } else if (type === 'string') {
    record.value = await client.get(key);
  } else {
    throw new Error(`${key}: unexpected type ${type}`);
  }
  keys.push(record);
}
await client.quit();
writeFileSync(output, `${JSON.stringify({ recordedWith: label, keys }, null, 1)}\n`);
console.log(`recorded ${keys.length} keys into ${output}`);
process.exit(0);
