import { InvalidWorkerError } from '../errors/invalid-worker.error.js';
import type { WorkerOptions } from '../interfaces/worker-options.interface.js';

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
