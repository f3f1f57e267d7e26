import { SetMetadata } from '@nestjs/common';
import { WORKER_HANDLER_METADATA } from './worker.constants.js';

/**
 * The method of a `@QueueWorker` class that handles each message: `(msg: QueueMessage<T>) => Promise<void>`.
 * Resolving acknowledges the message; throwing retries it (see `maxRetries`, `backoff`). Exactly one per worker.
 */
export const OnMessage = (): MethodDecorator => SetMetadata(WORKER_HANDLER_METADATA, 'message');
