import type { DynamicModule, INestApplication, LoggerService, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

/** How {@link bootstrap} starts the app. */
export interface BootstrapOptions {
  /** Interface to listen on. @default env HOST, else 127.0.0.1 */
  host?: string;
  /**
   * Stop the app on SIGINT/SIGTERM (Nest's shutdown hooks, which re-raise the signal afterwards).
   * A process running several apps turns this off and stops them itself.
   * @default true
   */
  shutdownHooks?: boolean;
  /** The root module. @default AppModule */
  module?: Type | DynamicModule;
  /** Nest's logger, or the levels it prints. @default Nest's console logger, every level */
  logger?: LoggerService | LogLevel[];
}

/** Creates and starts the sample app on `port` (0 picks a free one), on loopback unless HOST says otherwise. */
export async function bootstrap(
  port: number,
  {
    host = process.env.HOST ?? '127.0.0.1',
    shutdownHooks = true,
    module = AppModule,
    logger,
  }: BootstrapOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(module, logger ? { logger } : {});
  // Our shutdown hooks drain workers and close Valkey connections.
  if (shutdownHooks) app.enableShutdownHooks();
  await app.listen(port, host);
  return app;
}
