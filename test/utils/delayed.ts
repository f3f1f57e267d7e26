import type { ValkeyClient } from 'nestjs-valkey-queue';

/**
 * Test-side writer of delayed messages, following docs/key-layout.md independently of the
 * library's own encoder: each field as `<byte length>:<value>`, concatenated.
 */
export const delayedBody = (fields: string[]): string =>
  fields.map((field) => `${Buffer.byteLength(field, 'utf8')}:${field}`).join('');

/** Envelope fields for a test message (wire format v1). */
export const envelopeFields = (id: string, payload: string, attempt = 1): string[] => [
  'v',
  '1',
  'id',
  id,
  'payload',
  payload,
  'headers',
  '{}',
  'createdAt',
  String(Date.now()),
  'attempt',
  String(attempt),
];

/** The server's clock in epoch ms (delayed scores are compared against it). */
export async function serverNow(client: ValkeyClient): Promise<number> {
  const [seconds, micros] = (await client.call('TIME')) as [string, string];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Schedules many stream messages at `dueAt` in pipelined chunks. */
export async function scheduleMany(
  client: ValkeyClient,
  keys: { delayed: string; bodies: string },
  messages: { id: string; payload: string; dueAt: number }[],
): Promise<void> {
  for (let start = 0; start < messages.length; start += 1000) {
    const pipeline = client.pipeline();
    for (const { id, payload, dueAt } of messages.slice(start, start + 1000)) {
      pipeline.zadd(keys.delayed, dueAt, id);
      pipeline.hset(keys.bodies, id, delayedBody(envelopeFields(id, payload)));
    }
    await pipeline.exec();
  }
}
