import { Inject } from '@nestjs/common';
import { VALKEY_QUEUE_CLIENT } from '../valkey-queue.constants.js';

/**
 * Injects the module's shared ioredis command client, for your own commands on the same server.
 * Do not run blocking commands on it: they would stall every sender of the app.
 */
export const InjectValkeyClient = (): PropertyDecorator & ParameterDecorator => Inject(VALKEY_QUEUE_CLIENT);
