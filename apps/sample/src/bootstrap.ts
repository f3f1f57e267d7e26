import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

/** Creates and starts the sample app on `port` (0 picks a free one), on loopback unless HOST says otherwise. */
export async function bootstrap(
  port: number,
  host = process.env.HOST ?? '127.0.0.1',
): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks(); // our shutdown hooks drain workers and close Valkey connections
  await app.listen(port, host);
  return app;
}
