import { SetMetadata } from '@nestjs/common';
import { WORKER_HANDLER_METADATA } from './worker.constants.js';

/**
 * Called with a `BrokenMessage` (unreadable envelope, bad JSON, failed DTO validation), then the
 * message moves to the dead-letter stream with reason `broken`, whether or not this throws.
 */
export const OnBroken = (): MethodDecorator => SetMetadata(WORKER_HANDLER_METADATA, 'broken');
