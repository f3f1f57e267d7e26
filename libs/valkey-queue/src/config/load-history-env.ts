import { parseEnum, parseInteger } from './env-parsers.js';
import type { EnvReader } from './load-sender-env.js';
import { withoutUndefined } from '../utils/objects.util.js';
import type { HistoryOptions } from '../interfaces/history-options.interface.js';

/**
 * `history` from `VALKEY_QUEUE_HISTORY_URL` (a postgres:// connection string, which turns history on),
 * `..._SCHEMA`, `..._RETENTION` (`30d`, `12h`), `..._PAYLOADS` (none | truncated | full) and
 * `..._MAX_BACKLOG`. Undefined when the URL is unset. A pool can only be given in code.
 * @internal
 */
export function loadHistoryOptionsFromEnv(parsed: EnvReader): HistoryOptions | undefined {
  const text = (_variable: string, raw: string): string => raw.trim();
  const connectionString = parsed('HISTORY_URL', text);
  if (connectionString === undefined) return undefined;
  return withoutUndefined({
    postgres: { connectionString },
    schema: parsed('HISTORY_SCHEMA', text),
    retention: parsed('HISTORY_RETENTION', text),
    payloads: parsed('HISTORY_PAYLOADS', (v, raw) =>
      parseEnum(v, raw, ['none', 'truncated', 'full'] as const),
    ),
    maxBacklog: parsed('HISTORY_MAX_BACKLOG', (v, raw) => parseInteger(v, raw, 1)),
  });
}
