import { Cluster } from 'ioredis';
import type { ValkeyClient } from '../../connection/create-client.js';
import { InvalidQueueNameError } from '../../errors/invalid-queue-name.error.js';
import { InvalidWorkerError } from '../../errors/invalid-worker.error.js';
import type { WorkerOptions } from '../../interfaces/worker-options.interface.js';
import type { QueueKeys } from '../../utils/keys.util.js';

/**
 * Refuses `@QueueWorker` options that mean nothing for (or contradict) the list transport, with an
 * error naming the worker, instead of ignoring them silently. Module-wide `worker` defaults are not
 * checked: they are meant for stream workers too. @internal
 */
export function checkTransportOptions(workerName: string, given: WorkerOptions): void {
  if (given.transport !== 'list') {
    if (given.queueNamer !== undefined) {
      throw new InvalidWorkerError(
        workerName,
        "queueNamer needs transport 'list' (streams use the key layout)",
      );
    }
    return;
  }
  if (given.deleteOnAck === true) {
    throw new InvalidWorkerError(
      workerName,
      "deleteOnAck does not apply to transport 'list': an acknowledged list message is always removed",
    );
  }
  if (given.noAck === true) {
    throw new InvalidWorkerError(
      workerName,
      "noAck is not available with transport 'list': list workers always hold messages until their outcome is written",
    );
  }
  if (given.group !== undefined) {
    throw new InvalidWorkerError(
      workerName,
      "group does not apply to transport 'list': every consumer of a list competes for its messages (no fan-out); " +
        'use the stream transport for consumer groups',
    );
  }
}

/**
 * The key a list worker consumes: the key layout's `{<prefix>:<queue>}:list`, or the one its
 * `queueNamer` returns (e.g. valkeysender's `queue:<name>`). Checked like the senders' queueNamer: a
 * non-empty string, and on Cluster one containing the queue's hash tag, or the worker's scripts
 * (which also touch the queue's in-flight, delayed and dead-letter keys) would fail with CROSSSLOT.
 * Throws `InvalidQueueNameError`. @internal
 */
export function listKeyOf(
  queue: string,
  keys: QueueKeys,
  queueNamer: ((queue: string) => string) | undefined,
  client: ValkeyClient,
): string {
  if (!queueNamer) return keys.list;
  const named: unknown = queueNamer(queue);
  if (typeof named !== 'string' || named.length === 0) {
    throw new InvalidQueueNameError(queue, `queueNamer returned ${JSON.stringify(named)}, not a key name`);
  }
  if (client instanceof Cluster && !named.includes(keys.tag)) {
    throw new InvalidQueueNameError(
      queue,
      `on Valkey Cluster the queueNamer's key must contain the hash tag ${keys.tag}`,
    );
  }
  return named;
}
