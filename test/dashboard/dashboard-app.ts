import { Module, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ValkeyQueueModule, type ConnectionOptions } from 'nestjs-valkey-queue';
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
  options: ValkeyQueueDashboardOptions & { prefix?: string; providers?: Type[] } = {},
): Promise<DashboardApp> {
  const { prefix, providers = [], ...dashboard } = options;
  @Module({
    imports: [
      ValkeyQueueModule.forRoot({ connection, ...(prefix ? { prefix } : {}) }),
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
