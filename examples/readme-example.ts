// examples/readme-example.ts: type-checked in CI and run by test/readme/readme-example.e2e-spec.ts
import { Injectable, Logger, Module } from '@nestjs/common';
import { BoundQueueSender, InjectSender, OnMessage, QueueWorker } from 'nestjs-valkey-queue';
import { loadValkeyQueueOptionsFromEnv, ValkeyQueueModule, type QueueMessage } from 'nestjs-valkey-queue';

export type Order = { id: string; total: number };

@Injectable()
export class OrderService {
  constructor(@InjectSender('orders') private readonly orders: BoundQueueSender<Order>) {}

  place(order: Order) {
    return this.orders.send(order, { dedupKey: order.id }); // one message per order id
  }
}

@QueueWorker('orders', { concurrency: 20, maxRetries: 3 })
export class OrderWorker {
  private readonly logger = new Logger(OrderWorker.name);

  @OnMessage() // acked when it resolves; a throw is retried with backoff, then dead-lettered
  async handle({ id, payload }: QueueMessage<Order>): Promise<void> {
    this.logger.log(`order ${payload.id} (${payload.total}) handled, message ${id}`);
  }
}

@Module({
  imports: [
    // VALKEY_QUEUE_URL=redis://localhost:6379, or other VALKEY_QUEUE_* variables (docs/configuration.md)
    ValkeyQueueModule.forRootAsync({ useFactory: () => loadValkeyQueueOptionsFromEnv() }),
    ValkeyQueueModule.registerSender({ name: 'orders' }),
  ],
  providers: [OrderService, OrderWorker],
})
export class AppModule {}
