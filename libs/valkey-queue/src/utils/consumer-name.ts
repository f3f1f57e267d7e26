import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A consumer name and whether it outlives this process (so its pending entries are ours to resume). */
export interface ConsumerName {
  name: string;
  /** True for a configured name or one from POD_NAME / POD_IP: drain our own pending entries at start. */
  stable: boolean;
}

/**
 * The consumer name of a worker: the configured one, else `POD_NAME`, else `POD_IP` (Kubernetes),
 * else `<hostname>-<pid>-<random>`, unique per process, so recovery never depends on stable names.
 * @internal
 */
export function consumerName(
  configured: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ConsumerName {
  if (configured) return { name: configured, stable: true };
  const fromEnv = env.POD_NAME?.trim() || env.POD_IP?.trim();
  if (fromEnv) return { name: fromEnv, stable: true };
  return { name: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`, stable: false };
}
