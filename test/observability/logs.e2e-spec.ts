import type { LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  ConnectionError,
  InvalidOptionsError,
  OnMessage,
  QueueSender,
  QueueWorker,
  ValkeyQueueMetrics,
  ValkeyQueueModule,
  type QueueMessage,
  type ValkeyQueueOptions,
} from 'nestjs-valkey-queue';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { keysOf } from '../workers/worker-test-kit.js';
import { parseMetrics, pollUntil, valueOf } from './metrics-text.js';

const SECRET = `pw-${randomUUID()}`;
const QUEUE = `obs-logs-${randomUUID()}`;

interface Line {
  level: string;
  message: unknown;
  params: unknown[];
}

/** Records every call, at every level, as a LoggerService (what nestjs-pino and others implement). */
class CaptureLogger implements LoggerService {
  readonly lines: Line[] = [];
  log = (message: unknown, ...params: unknown[]) => this.lines.push({ level: 'log', message, params });
  error = (message: unknown, ...params: unknown[]) => this.lines.push({ level: 'error', message, params });
  warn = (message: unknown, ...params: unknown[]) => this.lines.push({ level: 'warn', message, params });
  debug = (message: unknown, ...params: unknown[]) => this.lines.push({ level: 'debug', message, params });
  verbose = (message: unknown, ...params: unknown[]) =>
    this.lines.push({ level: 'verbose', message, params });
  fatal = (message: unknown, ...params: unknown[]) => this.lines.push({ level: 'fatal', message, params });

  /** Everything a logger could print of the line: message, stack and structured fields. */
  static text(line: Line): string {
    const show = (value: unknown): string =>
      value instanceof Error
        ? `${value.message} ${value.stack}`
        : typeof value === 'string'
          ? value
          : JSON.stringify(value);
    return [line.message, ...line.params].map(show).join(' ');
  }

  find(level: string, pattern: RegExp): Line | undefined {
    return this.lines.find((line) => line.level === level && pattern.test(String(line.message)));
  }
}

@QueueWorker(QUEUE, { maxRetries: 0 })
class LoggedWorker {
  @OnMessage()
  async handle(message: QueueMessage<{ fail?: boolean }>): Promise<void> {
    if (message.payload.fail) throw new Error('cannot charge the card');
  }
}

describe('log lines: one per state change, structured, never a secret (real Valkey)', () => {
  const valkey = useValkey({ users: [{ name: 'app', password: SECRET }] });
  const logger = new CaptureLogger();

  async function boot(options: Partial<ValkeyQueueOptions>): Promise<TestingModule> {
    const { host, port } = valkey();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ValkeyQueueModule.forRoot({
          connection: { host, port, username: 'app', password: SECRET },
          ...options,
        }),
      ],
      providers: [LoggedWorker],
    })
      .setLogger(logger)
      .compile();
    await moduleRef.init();
    return moduleRef;
  }

  it('logs dead and broken messages with id and reason, worker start and stop, and nothing per success', async () => {
    const moduleRef = await boot({});
    const sender = moduleRef.get(QueueSender);
    const ok = await sender.send(QUEUE, {});
    const doomed = await sender.send(QUEUE, { fail: true });
    const raw = rawClient(valkey().url, { username: 'app', password: SECRET });
    try {
      await raw.xadd(keysOf(QUEUE).stream, '*', 'not', 'an envelope');
      await pollUntil(
        () => raw.xlen(keysOf(QUEUE).dead),
        (length) => length === 2,
      );
      await pollUntil(
        () => raw.hget(keysOf(QUEUE).stats, 'processed'),
        (count) => count === '1',
      );
    } finally {
      await raw.quit();
    }
    await moduleRef.close();

    const started = logger.find('log', /^LoggedWorker -> obs-logs-/);
    expect(started?.params[0]).toMatchObject({ worker: 'LoggedWorker', queue: QUEUE, group: 'default' });
    const dead = logger.find(
      'error',
      /is dead after 1 attempt\(s\): cannot charge the card; no @OnDead handler/,
    );
    expect(dead?.params[0]).toEqual({
      worker: 'LoggedWorker',
      queue: QUEUE,
      group: 'default',
      id: doomed.id,
      reason: 'dead',
      attempts: 1,
      error: 'cannot charge the card',
    });
    expect(dead?.params[1]).toMatch(/^Error: cannot charge the card\n\s+at /); // the stack
    const broken = logger.find('error', /is broken: Broken message: .*; no @OnBroken handler/);
    expect(broken?.params[0]).toMatchObject({ queue: QUEUE, reason: 'broken', entryId: expect.any(String) });
    expect(logger.find('log', /^LoggedWorker stopped consuming obs-logs-/)?.params[0]).toEqual({
      worker: 'LoggedWorker',
      queue: QUEUE,
      group: 'default',
    });
    const aboutSuccess = logger.lines.filter(
      (line) =>
        line.level !== 'debug' && line.level !== 'verbose' && CaptureLogger.text(line).includes(ok.id),
    );
    expect(aboutSuccess).toEqual([]);
  });

  it('logs the circuit breaker opening and closing, and counts the failures', async () => {
    const moduleRef = await boot({
      metrics: { enabled: true },
      connection: {
        host: valkey().host,
        port: valkey().port,
        username: 'app',
        password: SECRET,
        commandTimeout: 300,
        reconnect: { initialDelay: 20, maxDelay: 100 },
      },
      sender: {
        maxRetries: 1,
        retryBackoff: { initialDelay: 10, maxDelay: 20 },
        circuitBreaker: { threshold: 2, halfOpenAfter: 300 },
      },
    });
    try {
      const sender = moduleRef.get(QueueSender);
      const queue = `obs-breaker-${randomUUID()}`;
      await sender.send(queue, {});
      await valkey().kill();
      await expect(sender.send(queue, {})).rejects.toMatchObject({ code: 'VQ_SEND_FAILED' });
      await expect(sender.send(queue, {})).rejects.toMatchObject({ code: 'VQ_QUEUE_UNAVAILABLE' });
      const samples = parseMetrics(await moduleRef.get(ValkeyQueueMetrics).metrics());
      expect(valueOf(samples, 'valkey_queue_send_retries_total', { queue })).toBe(1);
      expect(valueOf(samples, 'valkey_queue_breaker_rejections_total', { queue })).toBe(1);
      expect(valueOf(samples, 'valkey_queue_send_errors_total', { queue, code: 'VQ_SEND_FAILED' })).toBe(1);
      expect(
        valueOf(samples, 'valkey_queue_send_errors_total', { queue, code: 'VQ_QUEUE_UNAVAILABLE' }),
      ).toBe(1);
      expect(valueOf(samples, 'valkey_queue_sender_breaker_state', { state: 'open' })).toBe(1);
      expect(valueOf(samples, 'valkey_queue_queue_stats_up')).toBe(0);
      const opened = logger.find('warn', /^Circuit breaker opened: .*; sends are refused for 300 ms$/);
      expect(opened?.params[0]).toMatchObject({ breaker: 'open', halfOpenAfterMs: 300 });

      await valkey().restart();
      // Once half-open, the next send is a probe; it succeeds and closes the breaker.
      await pollUntil(
        () =>
          sender.send(queue, {}).then(
            () => true,
            () => false,
          ),
        (sent) => sent,
      );
      expect(logger.find('log', /^Circuit breaker half-open/)?.params[0]).toEqual({ breaker: 'half-open' });
      expect(logger.find('log', /^Circuit breaker closed/)?.params[0]).toEqual({ breaker: 'closed' });
    } finally {
      await moduleRef.close();
    }
  });

  it('keeps the password out of startup errors', async () => {
    const { host } = valkey();
    const refused = await Test.createTestingModule({
      imports: [
        ValkeyQueueModule.forRoot({
          connection: { url: `redis://app:${SECRET}@${host}:1`, connectTimeout: 500 },
        }),
      ],
    })
      .setLogger(logger)
      .compile()
      .then(
        async (moduleRef) => {
          await moduleRef.close();
          return undefined;
        },
        (error: Error) => error,
      );
    expect(refused).toBeInstanceOf(ConnectionError);
    expect(`${refused?.message} ${refused?.stack}`).not.toContain(SECRET);

    const invalid = await Test.createTestingModule({
      imports: [ValkeyQueueModule.forRoot({ connection: { host, port: 70_000, password: SECRET } })],
    })
      .setLogger(logger)
      .compile()
      .then(
        () => undefined,
        (error: Error) => error,
      );
    expect(invalid).toBeInstanceOf(InvalidOptionsError);
    expect(invalid?.message).not.toContain(SECRET);
  });

  it('never logged the password, at any level, in any line of the tests above', () => {
    // The lines above include connecting, a server crash and reconnection, handler failures, dead
    // and broken messages, the breaker and startup failures.
    expect(logger.lines.length).toBeGreaterThan(10);
    expect(logger.find('warn', /lost|failed/i)).toBeDefined();
    const leaks = logger.lines.map(CaptureLogger.text).filter((text) => text.includes(SECRET));
    expect(leaks).toEqual([]);
  });
});
