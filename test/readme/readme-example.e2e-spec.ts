import { jest } from '@jest/globals';
import { Logger, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deferred } from 'nestjs-valkey-queue/testing';
import { AppModule, OrderService, type Order } from '../../examples/readme-example.js';
import { useValkey } from '../utils/use-valkey.js';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(fileURLToPath(new URL(path, root)), 'utf8');

/** The README's fenced TypeScript block that starts with the example's file-name comment. */
function readmeBlock(): string | undefined {
  const blocks = [...read('README.md').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map(([, body]) => body);
  return blocks.find((body) => body.startsWith('// examples/readme-example.ts'));
}

describe('the README example', () => {
  it('is examples/readme-example.ts, character for character', () => {
    // If this fails, copy the file into the README block (or the block into the file) so they match.
    expect(readmeBlock()).toBe(read('examples/readme-example.ts'));
  });

  describe('against a real Valkey', () => {
    const valkey = useValkey();
    let app: INestApplicationContext | undefined;

    afterEach(async () => {
      await app?.close();
      app = undefined;
      delete process.env.VALKEY_QUEUE_URL;
    });

    it('boots from VALKEY_QUEUE_URL, sends an order once and the worker handles it', async () => {
      // The worker's only visible effect is its log line. (Spying on the handler itself would hide
      // its @OnMessage metadata from discovery.)
      const handled = deferred<string>();
      const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(function (this: Logger, message) {
        if (typeof message === 'string' && message.startsWith('order order-1 ')) handled.resolve(message);
      });
      try {
        process.env.VALKEY_QUEUE_URL = valkey().url; // as the README says: configured from the environment
        app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
        await app.init();
        const orders = app.get(OrderService);
        const order: Order = { id: 'order-1', total: 42 };

        const first = await orders.place(order);
        const again = await orders.place(order); // the dedup key keeps it to one message

        expect(first).toEqual({ id: expect.any(String), queue: 'orders', deduplicated: false });
        expect(again).toEqual({ id: first.id, queue: 'orders', deduplicated: true });
        await expect(handled.promise).resolves.toBe(`order order-1 (42) handled, message ${first.id}`);
      } finally {
        log.mockRestore();
      }
    });
  });
});
