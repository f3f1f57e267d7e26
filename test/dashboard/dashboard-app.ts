import { Module, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  ValkeyQueueModule,
  type ConnectionOptions,
  type HistoryOptions,
  type MetricsOptions,
} from 'nestjs-valkey-queue';
import { ValkeyQueueDashboardModule, type ValkeyQueueDashboardOptions } from 'nestjs-valkey-queue/dashboard';

export type Platform = 'express' | 'fastify';
export const PLATFORMS: Platform[] = ['express', 'fastify'];

/** A host app with the queue module and the dashboard, listening on a free port. */
export interface DashboardApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` + the dashboard path. */
  url: string;
  /** The dashboard's API root. */
  api: string;
  close(): Promise<void>;
}

export async function startDashboardApp(
  platform: Platform,
  connection: ConnectionOptions,
  options: ValkeyQueueDashboardOptions & {
    prefix?: string;
    providers?: Type[];
    ownership?: string;
    history?: HistoryOptions;
    metrics?: MetricsOptions;
  } = {},
): Promise<DashboardApp> {
  const { prefix, providers = [], ownership, history, metrics, ...dashboard } = options;
  @Module({
    imports: [
      ValkeyQueueModule.forRoot({
        connection,
        ...(prefix ? { prefix } : {}),
        ...(ownership ? { ownership: { service: ownership } } : {}),
        ...(history ? { history } : {}),
        ...(metrics ? { metrics } : {}),
      }),
      ValkeyQueueDashboardModule.forRoot(dashboard),
    ],
    providers,
  })
  class HostModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(HostModule, adapter, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}${dashboard.path ?? '/admin/queues'}`;
  return { app, url, api: `${url}/api`, close: () => app.close() };
}

/** Reads Server-Sent Events from `url` until `count` arrived; resolves their data. */
export async function readEvents(url: string, count: number, init: RequestInit = {}): Promise<unknown[]> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
  const events: unknown[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data) events.push(JSON.parse(data));
        if (events.length >= count) return events;
      }
    }
  } finally {
    controller.abort();
  }
  return events;
}

/** An open event stream whose events are awaited one by one. */
export class EventReader {
  private readonly controller = new AbortController();
  private readonly queued: unknown[] = [];
  private waiting?: (event: unknown) => void;
  private failure?: Error;
  /** Events received so far. */
  received = 0;

  constructor(url: string, init: RequestInit = {}) {
    void this.read(url, init);
  }

  /** The next event (one already received and not taken yet comes first). */
  next(timeoutMs = 10_000): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.queued.length > 0) return Promise.resolve(this.queued.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no event in time')), timeoutMs);
      this.waiting = (event) => {
        clearTimeout(timer);
        resolve(event);
      };
    });
  }

  close(): void {
    this.controller.abort();
  }

  private async read(url: string, init: RequestInit): Promise<void> {
    try {
      const response = await fetch(url, { ...init, signal: this.controller.signal });
      if (!response.body) throw new Error(`events: HTTP ${response.status}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const data = buffer
            .slice(0, end)
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          buffer = buffer.slice(end + 2);
          if (!data) continue;
          this.received++;
          const event: unknown = JSON.parse(data);
          const waiting = this.waiting;
          this.waiting = undefined;
          if (waiting) waiting(event);
          else this.queued.push(event);
        }
      }
    } catch (error) {
      if (!this.controller.signal.aborted) this.failure = error as Error;
    }
  }
}

/** Commands the server has run so far, by name (INFO commandstats). */
export async function commandCalls(client: {
  info(section: string): Promise<string>;
}): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1], Number(match[2]));
  }
  return calls;
}
