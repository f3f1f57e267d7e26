import type { ConnectionOptions } from './connection-options.interface.js';

/**
 * Options of `ValkeyQueueModule.forRoot()` / `forRootAsync()`. Validated at bootstrap: a wrong
 * value fails startup with one `InvalidOptionsError` listing every invalid field.
 */
export interface ValkeyQueueOptions {
  /** The server to use. */
  connection: ConnectionOptions;
  /**
   * Namespace of every key this module writes, so several apps can share one server.
   * Letters, digits and `_ - . :`; no braces (they would break the cluster hash tag).
   * @default 'vq'
   */
  prefix?: string;
}
