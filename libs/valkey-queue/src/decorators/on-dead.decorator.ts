import { SetMetadata } from '@nestjs/common';
import { WORKER_HANDLER_METADATA } from './worker.constants.js';

/**
 * Called with a `DeadMessage` once retries are exhausted (or on `UnrecoverableError`), then the
 * message moves to the dead-letter stream with reason `dead`, whether or not this throws.
 */
export const OnDead = (): MethodDecorator => SetMetadata(WORKER_HANDLER_METADATA, 'dead');
