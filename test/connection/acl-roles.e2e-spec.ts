import { Logger, Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  OnMessage,
  QueueAdmin,
  QueueSender,
  QueueWorker,
  StreamOwnershipService,
  ValkeyQueueModule,
  type QueueMessage,
  type StreamAddedEvent,
} from 'nestjs-valkey-queue';
import { startValkey, type StartedValkey } from 'nestjs-valkey-queue/testing';
import { waitFor } from '../workers/worker-test-kit.js';

/** The ACL rules of docs/security.md, for the default prefix `vq` (the document shows the same lines). */
const COMMON =
  '-@all +ping +hello +info +quit +client|setname +client|setinfo +client|id +time ' +
  '+eval +evalsha +script|load +subscribe +unsubscribe +psubscribe +punsubscribe +publish';
const ACL_ROLES = {
  sender:
    `${COMMON} ~{vq:* ~vq:* &{vq:* &vq:* ` +
    '+xadd +lpush +zadd +zrem +zcard +zrange +zrangebyscore +hset +hget +hgetall +hdel +set +get +exists ' +
    '+xlen +llen +xinfo|groups +wait',
  worker:
    `${COMMON} ~{vq:* ~vq:* &{vq:* &vq:* ` +
    '+xadd +lpush +zadd +zrem +zcard +zrange +zrangebyscore +hset +hget +hgetall +hdel +set +get +exists ' +
    '+xlen +llen +xinfo|groups +wait ' +
    '+xreadgroup +xack +xdel +xtrim +xrange +xpending +xclaim +xautoclaim +xgroup|create +xgroup|createconsumer ' +
    '+xgroup|delconsumer +xinfo|consumers +xinfo|stream +blmove +lmove +lrem +lindex +lrange +del +pexpire ' +
    '+mget +hincrby +hlen +incr +lpos +client|unblock +client|list',
  admin:
    `${COMMON} ~{vq:* ~vq:* &{vq:* &vq:* ` +
    '+xlen +llen +zcard +xinfo|groups +xinfo|consumers +xinfo|stream +xrange +xrevrange +xpending +xadd +xdel ' +
    '+lpush +lrange +zadd +zrange +zrangebyscore +zrem +hset +hget +hgetall +hdel +hincrby +hlen +set +get +del +exists',
  ownership:
    `${COMMON} ~{vq:own:* &{vq:own:* &__keyspace@*__:* &__keyevent@*__:* ` +
    '+xadd +xreadgroup +xack +xdel +xrange +xpending +xautoclaim +xclaim +xgroup|create +xgroup|createconsumer ' +
    '+xinfo|consumers +xinfo|groups +set +get +del +incr +exists +hget +hset +hgetall +hdel +pexpire +pttl ' +
    '+zadd +zrangebyscore +zrange +zrem +client|unblock +client|list',
};

type Role = keyof typeof ACL_ROLES;
const PASSWORD = 'acl-role-password';

type Refusal = [string, ...string[]];
const READ_AS_CONSUMER: Refusal = [
  'reading the stream as a consumer',
  'XREADGROUP',
  'GROUP',
  'default',
  'me',
  'STREAMS',
  '{vq:orders}:stream',
  '>',
];
const REFUSED_TO_ALL: Refusal[] = [
  ['a key outside the prefix', 'SET', 'other:key', '1'],
  ['flushing the server', 'FLUSHALL'],
];

/** What a role must be refused: `[what, command...]`, each run as that role on a raw connection. */
const REFUSED: Record<Role, Refusal[]> = {
  sender: [
    READ_AS_CONSUMER,
    ['acknowledging', 'XACK', '{vq:orders}:stream', 'default', '0-1'],
    ['deleting a queue', 'DEL', '{vq:orders}:stream'],
    ...REFUSED_TO_ALL,
    ['changing the configuration', 'CONFIG', 'SET', 'maxmemory', '1'],
  ],
  worker: [
    ...REFUSED_TO_ALL,
    ['changing the configuration', 'CONFIG', 'SET', 'maxmemory', '1'],
    ['listing keys', 'KEYS', '*'],
    ['changing users', 'ACL', 'SETUSER', 'intruder', 'on'],
  ],
  admin: [
    READ_AS_CONSUMER,
    ...REFUSED_TO_ALL,
    ['changing the configuration', 'CONFIG', 'SET', 'maxmemory', '1'],
  ],
  ownership: [
    ['a queue key', 'XADD', '{vq:orders}:stream', '*', 'a', '1'],
    ...REFUSED_TO_ALL,
    ['changing the configuration', 'CONFIG', 'SET', 'notify-keyspace-events', 'KEA'],
  ],
};

/**
 * Least privilege (docs/security.md): each role's ACL lets it do its job through the library, and
 * the server refuses what the role must not do.
 */
describe('ACL roles: sender, worker, admin, ownership (real Valkey)', () => {
  let server: StartedValkey;
  const apps: INestApplicationContext[] = [];
  beforeAll(async () => {
    server = await startValkey({
      users: Object.entries(ACL_ROLES).map(([name, rules]) => ({ name, password: PASSWORD, rules })),
      // Ownership cannot change notify-keyspace-events itself (no CONFIG): set on the server.
      config: { 'notify-keyspace-events': 'Kx' },
    });
  }, 60_000);
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await server?.stop(); // unset when the server refused to start
  });

  const boot = async (role: Role, providers: Provider[] = [], extra: object = {}) => {
    class RoleModule {}
    Module({
      imports: [
        ValkeyQueueModule.forRoot({
          connection: { host: server.host, port: server.port, username: role, password: PASSWORD },
          ...extra,
        }),
      ],
      providers,
    })(RoleModule);
    const app = await NestFactory.createApplicationContext(RoleModule, { logger: ['error'] });
    apps.push(app);
    return app;
  };
  const asRole = (role: Role): Redis =>
    new Redis({
      host: server.host,
      port: server.port,
      username: role,
      password: PASSWORD,
      lazyConnect: true,
    });
  const refusals = async (role: Role): Promise<string[]> => {
    const client = asRole(role);
    await client.connect();
    try {
      const outcomes: string[] = [];
      for (const [what, command, ...args] of REFUSED[role]) {
        const error = await client.call(command, ...args).then(
          () => undefined,
          (reason: Error) => reason,
        );
        outcomes.push(
          `${what}: ${/NOPERM/.test(error?.message ?? '') ? 'refused' : `ALLOWED (${error?.message ?? 'ok'})`}`,
        );
      }
      return outcomes;
    } finally {
      client.disconnect();
    }
  };
  const allRefused = (role: Role) => REFUSED[role].map(([what]) => `${what}: refused`);

  it('sender: sends (direct, delayed, deduplicated, batched, to a list) and reads sizes; nothing else', async () => {
    const app = await boot('sender');
    const sender = app.get(QueueSender);
    const queue = `acl-send-${randomUUID()}`;
    await sender.send(queue, { n: 1 });
    await sender.send(queue, { n: 2 }, { delay: 50 });
    await sender.send(queue, { n: 3 }, { dedupKey: 'once' });
    await sender.sendBatch(queue, [{ n: 4 }, { n: 5 }]);
    await expect(sender.size(queue)).resolves.toBeGreaterThanOrEqual(5);
    await expect(refusals('sender')).resolves.toEqual(allRefused('sender'));
  });

  it('worker: consumes, retries, dead-letters and marks processed on streams and lists; nothing else', async () => {
    const queue = `acl-work-${randomUUID()}`;
    const listQueue = `acl-work-list-${randomUUID()}`;
    const handled: unknown[] = [];
    const worker = (name: string, transport: 'stream' | 'list'): Provider => {
      class RoleWorker {
        async handle(message: QueueMessage<{ n: number }>): Promise<void> {
          if (message.payload.n === 1 && message.attempt === 1) throw new Error('retried once');
          if (message.payload.n === 2) throw new Error('always: dead');
          handled.push(`${transport}:${message.payload.n}`);
        }
      }
      OnMessage()(
        RoleWorker.prototype,
        'handle',
        Object.getOwnPropertyDescriptor(RoleWorker.prototype, 'handle')!,
      );
      QueueWorker(name, {
        transport,
        idempotent: true,
        maxRetries: 1,
        backoff: { type: 'fixed', delay: 50 },
      })(RoleWorker);
      return RoleWorker;
    };
    Logger.overrideLogger(false); // the dead letter logs an error on purpose
    try {
      const app = await boot('worker', [worker(queue, 'stream'), worker(listQueue, 'list')]);
      const producer = await boot('sender', [], {});
      const sender = producer.get(QueueSender);
      for (const n of [1, 2, 3]) await sender.send(queue, { n });
      const listApp = await boot('sender', [], { sender: { transport: 'list' } });
      for (const n of [1, 2, 3]) await listApp.get(QueueSender).send(listQueue, { n });
      await waitFor(() => handled.length === 4, 'the stream and list messages to be handled', 15_000);
      expect([...handled].sort()).toEqual(['list:1', 'list:3', 'stream:1', 'stream:3']);
      const stats = await app.get(QueueAdmin).stats(queue);
      await waitFor(
        async () => (await app.get(QueueAdmin).stats(queue)).deadLetters === 1,
        'the dead letter',
      );
      expect(stats.retried).toBeGreaterThanOrEqual(1);
    } finally {
      Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']);
    }
    await expect(refusals('worker')).resolves.toEqual(allRefused('worker'));
  });

  it('admin: stats, dead letters, redrive, pause and resume; nothing else', async () => {
    const queue = `acl-admin-${randomUUID()}`;
    const seed = asRole('worker');
    await seed.connect();
    // A dead letter to read and redrive, written as a worker would.
    await seed.xadd(
      `{vq:${queue}}:dead`,
      '*',
      ...['v', '1', 'id', randomUUID(), 'payload', '{}', 'headers', '{}', 'createdAt', '1', 'attempt', '1'],
      ...['reason', 'dead', 'error', 'boom', 'attempts', '1', 'failedAt', '1'],
    );
    seed.disconnect();
    const app = await boot('admin');
    const admin = app.get(QueueAdmin);
    await expect(admin.deadLetters(queue)).resolves.toHaveLength(1);
    await expect(admin.redrive(queue, { count: 10 })).resolves.toBe(1);
    await admin.pause(queue);
    await expect(admin.stats(queue)).resolves.toMatchObject({ paused: true, length: 1, deadLetters: 0 });
    await admin.resume(queue);
    await expect(refusals('admin')).resolves.toEqual(allRefused('admin'));
  });

  it('ownership: assigns, takes and releases leases with fencing; no queue key, no CONFIG', async () => {
    const app = await boot('ownership', [], { ownership: { service: 'acl', leaseTtl: 3_000 } });
    const ownership = app.get(StreamOwnershipService);
    const added: StreamAddedEvent[] = [];
    ownership.events$.subscribe((event) => {
      if (event.type === 'added') added.push(event);
    });
    await ownership.assign('stream-1', {});
    await waitFor(() => added.length === 1, 'the stream to be handed to this instance', 15_000);
    expect(ownership.owned()).toEqual(['stream-1']);
    await ownership.release('stream-1');
    expect(ownership.owned()).toEqual([]);
    await expect(refusals('ownership')).resolves.toEqual(allRefused('ownership'));
  });
});
