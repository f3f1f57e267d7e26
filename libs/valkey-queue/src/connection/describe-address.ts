import type { ResolvedConnectionOptions } from '../config/validate-options.js';

const join = (nodes: { host: string; port: number }[]): string =>
  nodes.map(({ host, port }) => `${host}:${port}`).join(',');

/**
 * A human-readable address for logs and errors: `host:port`, `sentinel mymaster@h:p,...`,
 * `cluster h:p,...`. Never contains credentials.
 */
export function describeAddress(options: ResolvedConnectionOptions): string {
  if (options.client) return 'the shared ioredis client';
  if (options.sentinels) return `sentinel ${options.name}@${join(options.sentinels)}`;
  if (options.nodes) return `cluster ${join(options.nodes)}`;
  const scheme = options.tls ? 'rediss' : 'redis';
  return `${scheme}://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}/${options.db ?? 0}`;
}
