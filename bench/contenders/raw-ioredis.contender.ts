import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { orderPayloads } from '../payloads.js';
import type { BenchContext } from '../scenario.js';

/** A plain ioredis client on the bench server (ready before it is returned). */
export async function openRawClient(context: BenchContext): Promise<Redis> {
  const client = new Redis(context.url, { lazyConnect: true, disconnectTimeout: 100 });
  await client.connect();
  return client;
}

/** A fresh stream key for a raw baseline, in its own hash tag as the library's keys are. */
export const rawStreamKey = (context: BenchContext): string => `{bench:${context.queueName()}}:stream`;

/**
 * The same wire content as this library's stream envelope (docs/key-layout.md), built inline: the
 * raw baselines write what QueueSender writes, so ratios measure the library, not the format.
 */
export function envelopeFields(payload: unknown, createdAt: number): string[] {
  return [
    'v',
    '1',
    'id',
    randomUUID(), // same length as the library's UUIDv7
    'payload',
    JSON.stringify(payload),
    'headers',
    '{}',
    'createdAt',
    String(createdAt),
    'attempt',
    '1',
  ];
}

const FILL_CHUNK = 1_000;

/** Appends `size` envelopes to a queue's stream in pipelined chunks (untimed setup). */
export async function fillStream(client: Redis, key: string, size: number): Promise<void> {
  const payloads = orderPayloads(size);
  for (let start = 0; start < size; start += FILL_CHUNK) {
    const pipeline = client.pipeline();
    for (const payload of payloads.slice(start, start + FILL_CHUNK)) {
      pipeline.xadd(key, '*', ...envelopeFields(payload, Date.now()));
    }
    await pipeline.exec();
  }
}
