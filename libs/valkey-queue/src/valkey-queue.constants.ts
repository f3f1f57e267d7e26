/** DI token of the shared ioredis command client (`Redis | Cluster`). */
export const VALKEY_QUEUE_CLIENT = 'VALKEY_QUEUE_CLIENT';

/** DI token of the validated options, defaults applied. @internal */
export const VALKEY_QUEUE_RESOLVED_OPTIONS = 'VALKEY_QUEUE_RESOLVED_OPTIONS';

/** DI token of the sender registered with `registerSender({ name })`. */
export const getSenderToken = (name: string): string => `VALKEY_QUEUE_SENDER:${name}`;

/**
 * DI token of what releases the module's connections and timers when one of its bootstrap hooks
 * fails (Nest runs no shutdown hook after a failed `init()`). A token, so that the workers and the
 * scheduler can call it without importing the module-level code that knows every service. @internal
 */
export const BOOTSTRAP_CLEANUP = 'VALKEY_QUEUE_BOOTSTRAP_CLEANUP';

/** @internal */
export interface BootstrapCleanup {
  /** Call before rethrowing a bootstrap failure. Never rejects. */
  release(): Promise<void>;
}
