import { Redis, type RedisOptions } from 'ioredis';

/**
 * A plain ioredis client for checking state from the outside. `disconnectTimeout` is short
 * because ioredis arms that timer on quit and only clears it on a socket 'close' it may not get,
 * which would keep jest alive for 2 s after the run.
 */
export const rawClient = (url: string, options: RedisOptions = {}): Redis =>
  new Redis(url, { disconnectTimeout: 100, ...options });
