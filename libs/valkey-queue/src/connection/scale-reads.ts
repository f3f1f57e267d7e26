import type { ClusterOptions, Command, Redis } from 'ioredis';
import type { ScaleReads } from '../interfaces/connection-options.interface.js';

/**
 * Read-only commands that may be answered by a replica: the counters behind `size()` and the health
 * indicators, where a few milliseconds of replication lag do not matter. Every other read stays on the
 * primary: idempotency markers, the pause flag, schedule and recovery lookups must see the latest write.
 */
const STALE_TOLERANT_READS = new Set(['xlen', 'llen', 'zcard', 'xinfo']);

/**
 * The ioredis `scaleReads` setting for a mode. ioredis hands the function read-only commands only, with
 * the nodes serving the command's slot, primary first; an array means "any of these".
 * @internal
 */
export function scaleReadsSetting(mode: ScaleReads): ClusterOptions['scaleReads'] {
  if (mode === 'master') return 'master';
  return (nodes: Redis[], command: Command): Redis | Redis[] => {
    if (nodes.length < 2 || !STALE_TOLERANT_READS.has(command.name)) return nodes[0];
    return mode === 'slave' ? nodes.slice(1) : nodes;
  };
}
