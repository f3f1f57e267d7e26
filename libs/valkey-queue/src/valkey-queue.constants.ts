/** DI token of the shared ioredis command client (`Redis | Cluster`). */
export const VALKEY_QUEUE_CLIENT = 'VALKEY_QUEUE_CLIENT';

/** DI token of the validated options, defaults applied. @internal */
export const VALKEY_QUEUE_RESOLVED_OPTIONS = 'VALKEY_QUEUE_RESOLVED_OPTIONS';

/** DI token of the sender registered with `registerSender({ name })`. */
export const getSenderToken = (name: string): string => `VALKEY_QUEUE_SENDER:${name}`;
