import { Module } from '@nestjs/common';
import { loadValkeyQueueOptionsFromEnv, ValkeyQueueModule } from 'nestjs-valkey-queue';
import { StatusController } from './status/status.controller.js';

/** The sample app: configured from VALKEY_QUEUE_* variables, as a twelve-factor service would be. */
@Module({
  imports: [ValkeyQueueModule.forRootAsync({ useFactory: () => loadValkeyQueueOptionsFromEnv() })],
  controllers: [StatusController],
})
export class AppModule {}
