import { IsIn, IsInt, IsObject, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import type { InvalidOption } from '../errors/invalid-options.error.js';
import type { HistoryOptions, HistoryPool } from '../interfaces/history-options.interface.js';
import { isPlainObject } from '../utils/objects.util.js';

export const DEFAULT_HISTORY_SCHEMA = 'valkey_queue';
export const DEFAULT_HISTORY_RETENTION = '30d';
export const DEFAULT_HISTORY_MAX_BACKLOG = 1_000_000;
/** Bytes kept of an encoded payload with `payloads: 'truncated'`. */
export const TRUNCATED_PAYLOAD_BYTES = 1024;
const RETENTION_PATTERN = /^(\d+)(h|d)$/;
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]*$/;

/** `history` after validation, defaults applied. @internal */
export interface ResolvedHistoryOptions {
  postgres: { connectionString: string } | { pool: HistoryPool };
  schema: string;
  retentionMs: number;
  payloads: 'none' | 'truncated' | 'full';
  maxBacklog: number;
}

/** class-validator schema of `HistoryOptions`. @internal */
export class HistorySchema {
  // Checked by hand (a connection string or a pool); never walked by the validator.
  @IsObject() postgres!: unknown;
  @IsOptional()
  @IsString()
  @MaxLength(63)
  @Matches(SCHEMA_PATTERN, { message: 'schema may contain only lower-case letters, digits and _' })
  schema?: string;
  @IsOptional()
  @IsString()
  @Matches(RETENTION_PATTERN, {
    message: "retention must be a whole number of hours or days, like '30d' or '12h'",
  })
  retention?: string;
  @IsOptional() @IsIn(['none', 'truncated', 'full']) payloads?: string;
  @IsOptional() @IsInt() @Min(1) maxBacklog?: number;
}

/** `postgres` must be `{ connectionString }` or `{ pool }` (something with query/connect/end). @internal */
export function historyRuleIssues(history: HistoryOptions | undefined): InvalidOption[] {
  if (history === undefined) return [];
  const postgres: unknown = history.postgres;
  const fine =
    isPlainObject(postgres) &&
    Object.keys(postgres).length === 1 &&
    ((typeof postgres.connectionString === 'string' && postgres.connectionString.length > 0) ||
      (typeof postgres.pool === 'object' &&
        postgres.pool !== null &&
        ['query', 'connect', 'end'].every(
          (method) => typeof (postgres.pool as Record<string, unknown>)[method] === 'function',
        )));
  return fine
    ? []
    : [
        {
          path: 'history.postgres',
          value: '[object]',
          expected: ['{ connectionString } or { pool } (a pg Pool)'],
        },
      ];
}

/** Applies the defaults; undefined when history is off. @internal */
export function resolveHistoryOptions(
  history: HistoryOptions | undefined,
): ResolvedHistoryOptions | undefined {
  if (history === undefined) return undefined;
  const [, amount, unit] = RETENTION_PATTERN.exec(history.retention ?? DEFAULT_HISTORY_RETENTION)!;
  return {
    postgres: history.postgres,
    schema: history.schema ?? DEFAULT_HISTORY_SCHEMA,
    retentionMs: Number(amount) * (unit === 'd' ? 86_400_000 : 3_600_000),
    payloads: history.payloads ?? 'none',
    maxBacklog: history.maxBacklog ?? DEFAULT_HISTORY_MAX_BACKLOG,
  };
}
