import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * The consumer id of one ownership instance (the lease owner): the configured one as is; else
 * `POD_NAME`, else `POD_IP`, else `<hostname>-<pid>`, each plus a random suffix, so two instances
 * in one process (or a restarted pod) never share an id.
 * @internal
 */
export function consumerId(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (configured) return configured;
  const base = env.POD_NAME?.trim() || env.POD_IP?.trim() || `${hostname()}-${process.pid}`;
  return `${base.replace(/[\s{}]/g, '_')}-${randomBytes(3).toString('hex')}`;
}
