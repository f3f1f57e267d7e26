import { ConfigError } from '../errors/config.error.js';
import type { ConnectionOptions, TlsConnectionOptions } from '../interfaces/connection-options.interface.js';
import type { ValkeyQueueOptions } from '../interfaces/valkey-queue-options.interface.js';
import { loadSenderDefaultsFromEnv } from './load-sender-env.js';
import { loadMetricsOptionsFromEnv } from './load-metrics-env.js';
import { loadHistoryOptionsFromEnv } from './load-history-env.js';
import { withoutUndefined } from '../utils/objects.util.js';
import { loadWorkerDefaultsFromEnv } from './load-worker-env.js';
import { parseAddressList, parseBoolean, parseDuration, parseEnum, parseInteger } from './env-parsers.js';

/** The prefix of every variable this loader reads. */
export const ENV_PREFIX = 'VALKEY_QUEUE_';

/**
 * Builds module options from `VALKEY_QUEUE_*` variables (see docs/configuration.md for the table).
 * Unset or empty variables are left to the module defaults; an unparsable value throws a
 * `ConfigError` naming the variable. The result is validated again when the module starts.
 *
 * @example
 * ValkeyQueueModule.forRootAsync({ useFactory: () => loadValkeyQueueOptionsFromEnv() })
 */
export function loadValkeyQueueOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ValkeyQueueOptions {
  const read = (name: string): string | undefined => {
    const value = env[ENV_PREFIX + name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const parsed = <T>(name: string, parse: (variable: string, raw: string) => T): T | undefined => {
    const raw = read(name);
    return raw === undefined ? undefined : parse(ENV_PREFIX + name, raw);
  };

  const connection: ConnectionOptions = {
    url: read('URL'),
    host: read('HOST'),
    port: parsed('PORT', (v, raw) => parseInteger(v, raw, 1, 65_535)),
    db: parsed('DATABASE', (v, raw) => parseInteger(v, raw, 0)),
    username: read('USERNAME'),
    password: read('PASSWORD'),
    tls: loadTls(read, parsed),
    sentinels: parsed('SENTINELS', parseAddressList),
    name: read('SENTINEL_NAME'),
    sentinelUsername: read('SENTINEL_USERNAME'),
    sentinelPassword: read('SENTINEL_PASSWORD'),
    nodes: parsed('CLUSTER_NODES', parseAddressList),
    scaleReads: parsed('CLUSTER_SCALE_READS', (v, raw) =>
      parseEnum(v, raw, ['master', 'slave', 'all'] as const),
    ),
    connectTimeout: parsed('CONNECT_TIMEOUT', parseDuration),
    commandTimeout: parsed('COMMAND_TIMEOUT', parseDuration),
    lazyConnect: parsed('LAZY_CONNECT', parseBoolean),
  };
  return withoutUndefined({
    connection: withoutUndefined(connection),
    prefix: read('PREFIX'),
    scheduler: loadSchedulerFromEnv(parsed),
    sender: loadSenderDefaultsFromEnv(parsed),
    worker: loadWorkerDefaultsFromEnv(parsed),
    metrics: loadMetricsOptionsFromEnv(parsed),
    tracing: loadTracingFromEnv(parsed),
    history: loadHistoryOptionsFromEnv(parsed),
  });
}

/** `SCHEDULER_POLL_INTERVAL` (fallback poll without signals) and `SCHEDULER_PROMOTE_BATCH_SIZE`. */
function loadSchedulerFromEnv(
  parsed: <T>(name: string, parse: (variable: string, raw: string) => T) => T | undefined,
): ValkeyQueueOptions['scheduler'] {
  const scheduler = withoutUndefined({
    pollInterval: parsed('SCHEDULER_POLL_INTERVAL', parseDuration),
    promoteBatchSize: parsed('SCHEDULER_PROMOTE_BATCH_SIZE', (v, raw) => parseInteger(v, raw, 1, 1_000)),
  });
  return Object.keys(scheduler).length > 0 ? scheduler : undefined;
}

function loadTls(
  read: (name: string) => string | undefined,
  parsed: <T>(name: string, parse: (variable: string, raw: string) => T) => T | undefined,
): ConnectionOptions['tls'] {
  const enabled = parsed('TLS_ENABLED', parseBoolean);
  const settings: TlsConnectionOptions = withoutUndefined({
    caFile: read('TLS_CA_FILE'),
    certFile: read('TLS_CERT_FILE'),
    keyFile: read('TLS_KEY_FILE'),
    servername: read('TLS_SERVERNAME'),
    rejectUnauthorized: invert(parsed('TLS_SKIP_VERIFY', parseBoolean)),
  });
  const hasSettings = Object.keys(settings).length > 0;
  if (enabled === false) {
    if (hasSettings) {
      throw new ConfigError(
        `${ENV_PREFIX}TLS_ENABLED`,
        'is false, but other VALKEY_QUEUE_TLS_* variables are set',
      );
    }
    return false;
  }
  if (hasSettings) return settings;
  return enabled; // true, or undefined (a rediss:// URL may still turn TLS on)
}

const invert = (value: boolean | undefined): boolean | undefined =>
  value === undefined ? undefined : !value;

/** `TRACING_ENABLED` (boolean); undefined when unset (spans follow the registered SDK). */
function loadTracingFromEnv(
  parsed: <T>(name: string, parse: (variable: string, raw: string) => T) => T | undefined,
): ValkeyQueueOptions['tracing'] {
  const enabled = parsed('TRACING_ENABLED', parseBoolean);
  return enabled === undefined ? undefined : { enabled };
}
