import { ConfigError } from '../errors/config.error.js';
import { parseEnum, parseInteger } from './env-parsers.js';
import type { EnvReader } from './load-sender-env.js';
import { withoutUndefined } from '../utils/objects.util.js';
import type { HistoryOptions } from '../interfaces/history-options.interface.js';

/**
 * `history` from `VALKEY_QUEUE_HISTORY_URL` (a postgres:// connection string, which turns history on),
 * `..._SCHEMA`, `..._RETENTION` (`30d`, `12h`), `..._PAYLOADS` (none | truncated | full) and
 * `..._MAX_BACKLOG`. Undefined when none is set; the others without the URL are a `ConfigError`
 * (they would be silently ignored). A pool can only be given in code.
 * @internal
 */
export function loadHistoryOptionsFromEnv(parsed: EnvReader): HistoryOptions | undefined {
  const text = (_variable: string, raw: string): string => raw.trim();
  const connectionString = parsed('HISTORY_URL', text);
  const settings = withoutUndefined({
    schema: parsed('HISTORY_SCHEMA', text),
    retention: parsed('HISTORY_RETENTION', text),
    payloads: parsed('HISTORY_PAYLOADS', (v, raw) =>
      parseEnum(v, raw, ['none', 'truncated', 'full'] as const),
    ),
    maxBacklog: parsed('HISTORY_MAX_BACKLOG', (v, raw) => parseInteger(v, raw, 1)),
  });
  if (connectionString !== undefined) return { postgres: { connectionString }, ...settings };
  if (Object.keys(settings).length > 0) {
    throw new ConfigError(
      'VALKEY_QUEUE_HISTORY_URL',
      'is not set, but other VALKEY_QUEUE_HISTORY_* variables are (history needs the URL)',
    );
  }
  return undefined;
}
