import { NestFactory } from '@nestjs/core';
import { QueueSender, ValkeyQueueModule, type SenderDefaults } from 'nestjs-valkey-queue';
import type { BenchContext } from '../scenario.js';

/**
 * A Nest application context with ValkeyQueueModule, as an app would have it, and its QueueSender:
 * default options unless the scenario is about one (`sender`).
 */
export async function startSenderApp(
  context: BenchContext,
  sender: SenderDefaults = {},
): Promise<{ sender: QueueSender; close(): Promise<void> }> {
  const app = await NestFactory.createApplicationContext(
    ValkeyQueueModule.forRoot({ connection: { url: context.url }, sender }),
    { logger: false },
  );
  return { sender: app.get(QueueSender), close: () => app.close() };
}
