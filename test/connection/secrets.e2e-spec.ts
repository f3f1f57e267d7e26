import { Logger, Module, type LoggerService, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  loadValkeyQueueOptionsFromEnv,
  OnMessage,
  QueueSender,
  QueueWorker,
  SenderStatus,
  ValkeyHealthIndicator,
  ValkeyQueueHealthModule,
  ValkeyQueueModule,
  type ConnectionOptions,
  type ValkeyQueueOptions,
} from 'nestjs-valkey-queue';
import { startValkey, type StartedValkey } from 'nestjs-valkey-queue/testing';
import { waitFor } from '../workers/worker-test-kit.js';

/** The password every path below is given; it must never be shown. */
const SECRET = 'S3cret-pa55word-e1f0';
const SERVER_PASSWORD = 'the-right-password';

/** Every log line, with its arguments rendered in full (errors with their causes and own fields). */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private capture =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) =>
      void this.lines.push(`${level} ${[message, ...rest].map((part) => render(part)).join(' ')}`);
  log = this.capture('log');
  error = this.capture('error');
  warn = this.capture('warn');
  debug = this.capture('debug');
  verbose = this.capture('verbose');
  fatal = this.capture('fatal');
}

const render = (value: unknown): string =>
  typeof value === 'string' ? value : inspect(value, { depth: 10, showHidden: false, breakLength: Infinity });

/** `value` rendered every way a user could see it: message, stack, causes, own fields, JSON. */
function everyRendering(value: unknown): string {
  let json = '';
  try {
    json = JSON.stringify(value);
  } catch {
    // circular: inspect covers it
  }
  const error = value as Error | undefined;
  return [render(value), error?.message, error?.stack, json].join('\n');
}

/**
 * Secrets: every error path that involves the connection (a wrong password, a TLS failure, an ACL
 * refusal, invalid options) keeps the password out of error messages, log lines and health output.
 */
describe('the password never shows (real Valkey)', () => {
  let server: StartedValkey;
  let tlsServer: StartedValkey;
  const logger = new CapturingLogger();
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    [server, tlsServer] = await Promise.all([
      startValkey({
        password: SERVER_PASSWORD,
        users: [
          {
            name: 'limited',
            password: SECRET,
            rules: '~* &* +@all -evalsha -eval -xadd -xreadgroup -blmove',
          },
        ],
      }),
      startValkey({ tls: true }),
    ]);
    Logger.overrideLogger(logger);
  }, 60_000);
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']);
    await Promise.all([server?.stop(), tlsServer?.stop()]);
  });

  const boot = async (options: ValkeyQueueOptions, providers: Provider[] = []) => {
    class SecretsModule {}
    Module({ imports: [ValkeyQueueModule.forRoot(options), ValkeyQueueHealthModule], providers })(
      SecretsModule,
    );
    const app = await NestFactory.createApplicationContext(SecretsModule, { logger, abortOnError: false });
    apps.push(app);
    return app;
  };
  const bootError = (options: ValkeyQueueOptions): Promise<unknown> =>
    boot(options).then(
      () => new Error('expected bootstrap to fail'),
      (error: unknown) => error,
    );
  const fast = { connectTimeout: 1_000, reconnect: { initialDelay: 50, maxDelay: 200 } };
  const expectNoSecret = (text: string): void => {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(encodeURIComponent(SECRET));
  };

  it.each<[string, ConnectionOptions]>([
    ['password option', { host: '127.0.0.1', password: SECRET }],
    ['password in the URL', { url: `redis://default:${SECRET}@127.0.0.1` }],
  ])('a wrong password (%s): the bootstrap error and logs do not show it', async (_, connection) => {
    const error = await bootError({ connection: { ...connection, port: server.port, ...fast } });
    expect(render(error)).toMatch(/WRONGPASS|invalid username-password|NOAUTH|AUTH/i);
    expectNoSecret(everyRendering(error));
    expectNoSecret(logger.lines.join('\n'));
  });

  it('a wrong password with lazyConnect: logs, health and sender status do not show it', async () => {
    const app = await boot({
      connection: { host: '127.0.0.1', port: server.port, password: SECRET, lazyConnect: true, ...fast },
    });
    const health = await app.get(ValkeyHealthIndicator).isHealthy('valkey', { timeout: 200 });
    expect(render(health)).toMatch(/down/);
    const sent = await app
      .get(QueueSender)
      .send(`secrets-${randomUUID()}`, { n: 1 }, { timeout: 500 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(sent).toBeInstanceOf(Error);
    expectNoSecret(everyRendering(health));
    expectNoSecret(everyRendering(sent));
    expectNoSecret(everyRendering(app.get(SenderStatus).snapshot()));
    expectNoSecret(logger.lines.join('\n'));
  });

  it.each<[string, ConnectionOptions]>([
    ['an untrusted server certificate', { tls: { rejectUnauthorized: true } }],
    ['TLS required, plain text spoken', { tls: false }],
  ])('a TLS failure (%s): the error and logs do not show it', async (_, tls) => {
    const error = await bootError({
      connection: { host: '127.0.0.1', port: tlsServer.port, password: SECRET, ...tls, ...fast },
    });
    expectNoSecret(everyRendering(error));
    expectNoSecret(logger.lines.join('\n'));
  });

  it('an ACL refusal (NOPERM on sends and reads): errors and worker logs do not show it', async () => {
    const queue = `secrets-acl-${randomUUID()}`;
    class RefusedWorker {
      async handle(): Promise<void> {}
    }
    OnMessage()(
      RefusedWorker.prototype,
      'handle',
      Object.getOwnPropertyDescriptor(RefusedWorker.prototype, 'handle')!,
    );
    QueueWorker(queue)(RefusedWorker);
    const before = logger.lines.length;
    const app = await boot(
      { connection: { url: `redis://limited:${SECRET}@127.0.0.1:${server.port}`, ...fast } },
      [RefusedWorker],
    );
    const sent = await app
      .get(QueueSender)
      .send(queue, { n: 1 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(render(sent)).toMatch(/NOPERM/);
    await waitFor(
      () => logger.lines.slice(before).some((line) => /NOPERM/.test(line)),
      'the worker to log its refused read',
    );
    expectNoSecret(everyRendering(sent));
    expectNoSecret(logger.lines.join('\n'));
  });

  it.each<[string, ValkeyQueueOptions]>([
    ['a port out of range', { connection: { host: '127.0.0.1', port: 70_000, password: SECRET } }],
    ['a URL that does not parse', { connection: { url: `redis://default:${SECRET}@127.0.0.1:notaport` } }],
    ['a URL with a bad database', { connection: { url: `redis://default:${SECRET}@127.0.0.1:6379/x` } }],
    [
      'two ways to connect',
      { connection: { url: `redis://default:${SECRET}@127.0.0.1`, nodes: [{ host: 'h', port: 1 }] } },
    ],
    ['an unknown option', { connection: { password: SECRET, pasword: SECRET } as ConnectionOptions }],
  ])('invalid options (%s): the error does not show it', async (_, options) => {
    const error = await bootError(options);
    expect((error as Error).name).toMatch(/InvalidOptionsError|ConfigError/);
    expectNoSecret(everyRendering(error));
    expectNoSecret(logger.lines.join('\n'));
  });

  it('invalid environment variables: the ConfigError does not show it', () => {
    for (const env of [
      { VALKEY_QUEUE_URL: `redis://default:${SECRET}@127.0.0.1`, VALKEY_QUEUE_PORT: 'not-a-port' },
      { VALKEY_QUEUE_PASSWORD: SECRET, VALKEY_QUEUE_DATABASE: 'x' },
      { VALKEY_QUEUE_SENTINEL_PASSWORD: SECRET, VALKEY_QUEUE_SENTINELS: 'not a list:of:addresses' },
      { VALKEY_QUEUE_URL: `redis://default:${SECRET}@127.0.0.1`, VALKEY_QUEUE_TLS_ENABLED: 'maybe' },
    ]) {
      const error = (() => {
        try {
          loadValkeyQueueOptionsFromEnv(env);
          return new Error('expected a ConfigError');
        } catch (thrown) {
          return thrown;
        }
      })();
      expect((error as Error).name).toBe('ConfigError');
      expectNoSecret(everyRendering(error));
    }
  });
});
