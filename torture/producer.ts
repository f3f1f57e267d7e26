// A producer process of the torture run: sends to every workload kind at `rate` messages per second,
// recording each message in its ledger before the send (`sent`) and after it resolved (`acked`) or
// rejected (`failed`). A few messages are written raw and malformed on purpose (they must end
// broken). It stops sending on `stop` from the parent, then exits.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getSenderToken, ValkeyQueueModule, type BoundQueueSender } from 'nestjs-valkey-queue';
import { proxiedClient, readConfig, tellParent } from './child-config.js';
import { Ledger } from './ledger.js';
import { Rng } from './rng.js';
import {
  ORDERING_KEYS_PER_LOOP,
  queueOf,
  WORKLOADS,
  type Behaviour,
  type TorturePayload,
} from './workloads.js';

const config = readConfig();
const rng = new Rng(config.seed);
const ledger = new Ledger(config.ledgerDir, config.name);
const client = proxiedClient(config);

class ProducerModule {}
Module({
  imports: [
    ValkeyQueueModule.forRoot({
      connection: { client },
      sender: {
        // Acknowledged means on the replica too, so a failover cannot take an acknowledged message.
        ...(config.replicas > 0 ? { durability: { replicas: config.replicas, timeout: 1_000 } } : {}),
        // Probe again soon after an outage: the run counts refusals as failed sends, not losses.
        circuitBreaker: { halfOpenAfter: 1_000 },
      },
    }),
    ...WORKLOADS.map((kind) =>
      ValkeyQueueModule.registerSender({ name: queueOf(kind), transport: kind.transport }),
    ),
  ],
})(ProducerModule);

/** Mostly `ok`; the rest exercise retries, non-Error throws, hangs past the timeout and dead letters. */
function behaviour(): Behaviour {
  const roll = rng.next();
  if (roll < 0.05) return 'fail';
  if (roll < 0.08) return 'throwValue';
  if (roll < 0.09) return 'hang';
  if (roll < 0.095) return 'poison';
  return 'ok';
}

let seq = 0;
let stopping = false;

/** `loop`: the send loop calling; it awaits each send, so its ordering keys see sends one at a time. */
async function sendOne(senders: Map<string, BoundQueueSender>, loop: number): Promise<void> {
  const kind = rng.pick(WORKLOADS);
  const k = `${config.name}-${seq++}`;
  if (rng.chance(0.005)) {
    // Malformed on purpose: no envelope at all. The checker expects it among the broken dead letters.
    ledger.record({ type: 'sent', k, kind: kind.name, behaviour: 'broken' });
    await (kind.transport === 'list'
      ? client.lpush(`{vq:${queueOf(kind)}}:list`, `not an envelope ${k}`)
      : client.xadd(`{vq:${queueOf(kind)}}:stream`, '*', 'k', k, 'junk', '\u0000{'));
    // Acknowledged like the library's sends: once the replica (if any) has it too.
    if (
      config.replicas === 0 ||
      Number(await client.call('WAIT', String(config.replicas), '1000')) >= config.replicas
    )
      ledger.record({ type: 'acked', k, kind: kind.name, id: '' });
    return;
  }
  const payload: TorturePayload = { k, behaviour: behaviour() };
  const delay = rng.chance(kind.delayed) ? rng.int(1, kind.maxDelay) : undefined;
  const priority = kind.prioritized && rng.chance(kind.prioritized) ? rng.int(1, 10) : undefined;
  const orderingKey = kind.ordered
    ? `${config.name}/${loop}-${rng.int(1, ORDERING_KEYS_PER_LOOP)}`
    : undefined;
  ledger.record({ type: 'sent', k, kind: kind.name, behaviour: payload.behaviour, key: orderingKey });
  try {
    const result = await senders
      .get(kind.name)!
      .send(payload, { delay, priority, orderingKey, timeout: 10_000 });
    ledger.record({ type: 'acked', k, kind: kind.name, id: result.id });
  } catch (error) {
    ledger.record({ type: 'failed', k, kind: kind.name, error: (error as Error).name ?? String(error) });
  }
}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(ProducerModule, { logger: ['error'] });
  const senders = new Map(
    WORKLOADS.map((kind) => [kind.name, app.get<BoundQueueSender>(getSenderToken(queueOf(kind)))]),
  );
  process.on('message', (message: { type: string }) => {
    if (message.type === 'stop') stopping = true;
  });
  // Never outlive the harness (it was killed, or stopped by Ctrl-C).
  process.once('disconnect', () => process.exit(0));
  tellParent({ type: 'ready' });
  const gap = 1_000 / (config.rate ?? 20);
  // Four senders in parallel, so a stalled connection does not stop the whole producer.
  await Promise.all(
    Array.from({ length: 4 }, async (_, loop) => {
      while (!stopping) {
        const started = Date.now();
        await sendOne(senders, loop).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, gap * 4 - (Date.now() - started))));
      }
    }),
  );
  ledger.close();
  await app.close();
  client.disconnect();
  tellParent({ type: 'stopped', sent: seq });
  process.exit(0);
}

main().catch((error: unknown) => {
  tellParent({ type: 'failed', message: String(error) });
  process.exit(1);
});
