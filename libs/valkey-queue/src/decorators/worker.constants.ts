/** Metadata key of `@QueueWorker()`: `{ queue, options }` on the class. @internal */
export const QUEUE_WORKER_METADATA = 'valkey-queue:worker';

/** Metadata key of `@OnMessage()`, `@OnBroken()`, `@OnDead()`: the handler kind on the method. @internal */
export const WORKER_HANDLER_METADATA = 'valkey-queue:worker-handler';

/** What a decorated worker method handles. @internal */
export type WorkerHandlerKind = 'message' | 'broken' | 'dead';
