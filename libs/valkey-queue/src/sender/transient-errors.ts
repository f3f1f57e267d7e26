/**
 * Which send failures are the infrastructure's fault. Transient ones are retried; infrastructure
 * ones (transient, plus a full server) count towards the circuit breaker. Anything else (invalid
 * input, codec errors, aborts, a script error) is neither: retrying or breaking would not help.
 * @internal
 */

/** Socket error codes of a lost or unreachable connection. */
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTCONN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** Server replies that mean "not now": loading, failover, resharding, cluster trouble, a busy script. */
const TRANSIENT_REPLY = /^(LOADING|READONLY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|BUSY|NOREPLICAS)\b/;

/** ioredis messages of a connection that is down, closed or too slow. */
const TRANSIENT_MESSAGE =
  /^(Connection is closed\.|Command timed out|Stream isn't writeable|Cluster isn't ready|Failed to refresh slots cache|None of startup nodes is available|Reached the max retries per request limit)/;

/** True for connection-level failures worth retrying (contract item 7). */
export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError') return true;
  // Replicas lagging or resyncing (a failover): a retry writes nothing new (idempotency marker) and WAITs again.
  if ((error as { code?: unknown }).code === 'VQ_INSUFFICIENT_REPLICAS') return true;
  return TRANSIENT_REPLY.test(error.message) || TRANSIENT_MESSAGE.test(error.message);
}

/** True for failures that say the server is unusable: they count towards the circuit breaker. */
export function isInfrastructureError(error: unknown): boolean {
  return isTransientError(error) || (error instanceof Error && /^OOM\b/.test(error.message));
}
