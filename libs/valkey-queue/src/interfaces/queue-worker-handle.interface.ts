/** A running (or startable) worker, as `WorkerRegistry` returns it. */
export interface QueueWorkerHandle {
  /** The `@QueueWorker` class name. */
  readonly name: string;
  /** The queue it consumes. */
  readonly queue: string;
  /** Its consumer group. */
  readonly group: string;
  /** Its consumer name in the group. */
  readonly consumer: string;
  /** True between `start()` and the end of `stop()`. */
  readonly running: boolean;
  /** Handler (or dead/broken hook) calls in progress. */
  readonly inFlight: number;
  /** Starts consuming (creates the group if needed). Resolves once reading has begun. Idempotent. */
  start(): Promise<void>;
  /**
   * Stops reading, waits up to `shutdownTimeout` for running handlers, aborts the rest (they stay
   * pending and are reclaimed elsewhere), flushes acknowledgements. Idempotent.
   */
  stop(): Promise<void>;
}
