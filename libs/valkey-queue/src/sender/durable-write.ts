import type { ChainableCommander } from 'ioredis';
import type { ValkeyClient } from '../connection/create-client.js';
import type { DurabilityOptions } from '../interfaces/sender-options.interface.js';

/** Fewer replicas than required confirmed a durable write. @internal */
export class ReplicaShortfall extends Error {
  constructor(readonly acknowledged: number) {
    super(`only ${acknowledged} replica(s) confirmed the write`);
  }
}

/**
 * Runs `write` (one script call) and `WAIT replicas timeout` in one pipeline: one round trip, and on
 * a Cluster one node (a pipeline goes to the node of its keys; WAIT has none, and must reach the node
 * that took the write). ioredis loads a defined script on each socket with EVAL the first time, so no
 * NOSCRIPT retry can separate the two. Resolves the script's reply; rejects with the script's or
 * WAIT's error, or a `ReplicaShortfall`.
 * @internal
 */
export async function writeThenWait<T>(
  client: ValkeyClient,
  write: (pipeline: ChainableCommander) => ChainableCommander,
  { replicas, timeout }: DurabilityOptions,
): Promise<T> {
  const replies = await write(client.pipeline()).call('WAIT', replicas, timeout).exec();
  if (!replies || replies.length !== 2) throw new Error('The durable write pipeline was discarded');
  const [[writeError, reply], [waitError, acknowledged]] = replies;
  if (writeError) throw writeError;
  if (waitError) throw waitError;
  if (Number(acknowledged) < replicas) throw new ReplicaShortfall(Number(acknowledged));
  return reply as T;
}
