import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

/** Creates and starts the sample app on `port` (0 picks a free one). */
export async function bootstrap(port: number): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks(); // our shutdown hooks drain workers and close Valkey connections
  await app.listen(port, '127.0.0.1');
  return app;
}
