import { validateSync, type ValidationError } from 'class-validator';
import { Cluster, Redis } from 'ioredis';
import { InvalidOptionsError, type InvalidOption } from '../errors/invalid-options.error.js';
import type { ConnectionOptions, ReconnectOptions } from '../interfaces/connection-options.interface.js';
import type { SchedulerOptions, ValkeyQueueOptions } from '../interfaces/valkey-queue-options.interface.js';
import { isPlainObject, withoutUndefined } from '../utils/objects.util.js';
import {
  ConnectionSchema,
  NodeAddressSchema,
  ReconnectSchema,
  SchedulerSchema,
  TlsSchema,
  ValkeyQueueOptionsSchema,
} from './options.schema.js';
import {
  resolveSenderDefaults,
  senderRuleIssues,
  type ResolvedSenderDefaults,
} from './resolve-sender-options.js';
import { SenderDefaultsSchema, toSenderSchema } from './sender-options.schema.js';
import { resolveWorkerDefaults, type ResolvedWorkerDefaults } from './worker-options.js';
import { WorkerDefaultsSchema } from './worker-options.schema.js';
import {
  OwnershipSchema,
  ownershipRuleIssues,
  resolveOwnershipOptions,
  type ResolvedOwnershipOptions,
} from './ownership-options.schema.js';
import {
  MetricsSchema,
  metricsRuleIssues,
  resolveMetricsOptions,
  type ResolvedMetricsOptions,
} from './metrics-options.schema.js';
import { TracingSchema, type ResolvedTracingOptions } from './tracing-options.schema.js';
import {
  HistorySchema,
  historyRuleIssues,
  resolveHistoryOptions,
  type ResolvedHistoryOptions,
} from './history-options.schema.js';

/** Connection options after validation: the URL is unpacked into fields and defaults are applied. */
export type ResolvedConnectionOptions = Omit<ConnectionOptions, 'url' | 'reconnect'> &
  Required<Pick<ConnectionOptions, 'connectTimeout' | 'commandTimeout' | 'lazyConnect'>> & {
    reconnect: Required<ReconnectOptions>;
  };

/** Module options after validation, with every default applied. @internal */
export interface ResolvedValkeyQueueOptions {
  connection: ResolvedConnectionOptions;
  prefix: string;
  scheduler: Required<SchedulerOptions>;
  sender: ResolvedSenderDefaults;
  worker: ResolvedWorkerDefaults;
  /** Stream ownership; undefined when not configured (the service is then inert). */
  ownership?: ResolvedOwnershipOptions;
  metrics: ResolvedMetricsOptions;
  tracing: ResolvedTracingOptions;
  /** Task history; undefined when not configured (nothing loaded, written or read). */
  history?: ResolvedHistoryOptions;
}

export const DEFAULT_PREFIX = 'vq';
const CONNECTION_DEFAULTS = { connectTimeout: 10_000, commandTimeout: 5_000, lazyConnect: false } as const;
const SCHEDULER_DEFAULTS: Required<SchedulerOptions> = { pollInterval: 1_000, promoteBatchSize: 100 };
const RECONNECT_DEFAULTS: Required<ReconnectOptions> = { initialDelay: 100, maxDelay: 30_000 };
const SECRET_FIELDS = new Set(['password', 'sentinelPassword', 'key']);
export const REDACTED = '[redacted]';

/**
 * Validates the module options and applies defaults. Throws one `InvalidOptionsError` that lists
 * every invalid field, its value (secrets redacted) and what was expected.
 */
export function validateOptions(options: ValkeyQueueOptions): ResolvedValkeyQueueOptions {
  const issues = schemaIssues(options);
  if (issues.length === 0) issues.push(...connectionRuleIssues(options.connection));
  if (issues.length === 0) issues.push(...senderRuleIssues(options.sender));
  if (issues.length === 0) issues.push(...ownershipRuleIssues(options.ownership));
  if (issues.length === 0) issues.push(...metricsRuleIssues(options.metrics));
  if (issues.length === 0) issues.push(...historyRuleIssues(options.history));
  if (issues.length > 0) throw new InvalidOptionsError(issues);
  return {
    prefix: options.prefix ?? DEFAULT_PREFIX,
    connection: resolveConnection(options.connection),
    scheduler: { ...SCHEDULER_DEFAULTS, ...withoutUndefined(options.scheduler ?? {}) },
    sender: resolveSenderDefaults(options.sender),
    worker: resolveWorkerDefaults(options.worker),
    ownership: resolveOwnershipOptions(options.ownership),
    metrics: resolveMetricsOptions(options.metrics),
    tracing: { enabled: options.tracing?.enabled ?? true },
    history: resolveHistoryOptions(options.history),
  };
}

function schemaIssues(options: unknown): InvalidOption[] {
  if (!isPlainObject(options)) {
    return [{ path: '(options)', value: options, expected: ['an object with a `connection` field'] }];
  }
  const schema = toSchema(ValkeyQueueOptionsSchema, options);
  if (isPlainObject(options.connection)) schema.connection = toConnectionSchema(options.connection);
  if (isPlainObject(options.scheduler)) schema.scheduler = toSchema(SchedulerSchema, options.scheduler);
  if (isPlainObject(options.sender)) schema.sender = toSenderSchema(SenderDefaultsSchema, options.sender);
  if (isPlainObject(options.worker)) schema.worker = toSchema(WorkerDefaultsSchema, options.worker);
  if (isPlainObject(options.ownership)) schema.ownership = toSchema(OwnershipSchema, options.ownership);
  if (isPlainObject(options.metrics)) schema.metrics = toSchema(MetricsSchema, options.metrics);
  if (isPlainObject(options.tracing)) schema.tracing = toSchema(TracingSchema, options.tracing);
  if (isPlainObject(options.history)) schema.history = toSchema(HistorySchema, options.history);
  const errors = validateSync(schema, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  return errors.flatMap((error) => flatten(error, ''));
}

function toConnectionSchema(connection: Record<string, unknown>): ConnectionSchema {
  const schema = toSchema(ConnectionSchema, connection);
  if (isPlainObject(connection.tls)) schema.tls = toSchema(TlsSchema, connection.tls);
  if (isPlainObject(connection.reconnect)) schema.reconnect = toSchema(ReconnectSchema, connection.reconnect);
  for (const list of ['sentinels', 'nodes'] as const) {
    const value = connection[list];
    if (Array.isArray(value)) {
      schema[list] = value.map((node) => (isPlainObject(node) ? toSchema(NodeAddressSchema, node) : node));
    }
  }
  return schema;
}

/** Rules across fields, which decorators cannot express. Run once the fields themselves are valid. */
function connectionRuleIssues(connection: ConnectionOptions): InvalidOption[] {
  const issues: InvalidOption[] = [];
  const add = (path: string, value: unknown, expected: string): void => {
    issues.push({ path: `connection.${path}`, value: redact(path, value), expected: [expected] });
  };
  const modes = (['url', 'host', 'sentinels', 'nodes', 'client'] as const).filter(
    (mode) => connection[mode] !== undefined,
  );
  if (modes.length > 1) {
    add(
      modes[1],
      connection[modes[1]],
      `only one of url, host, sentinels, nodes, client (got ${modes.join(', ')})`,
    );
  }
  if (connection.url !== undefined && parseValkeyUrl(connection.url) === undefined) {
    add('url', connection.url, 'a URL like redis://[user:password@]host:port[/db] or rediss://...');
  }
  if (connection.sentinels && !connection.name)
    add('name', connection.name, 'the primary name, with sentinels');
  if (connection.name && !connection.sentinels) add('name', connection.name, 'only together with sentinels');
  if (connection.nodes && connection.db)
    add('db', connection.db, 'db 0 with cluster nodes (Cluster has one DB)');
  issues.push(...clusterOnlyIssues(connection));
  if (
    connection.client !== undefined &&
    !(connection.client instanceof Redis || connection.client instanceof Cluster)
  ) {
    add('client', '[object]', 'an ioredis Redis or Cluster instance');
  }
  const { initialDelay, maxDelay } = { ...RECONNECT_DEFAULTS, ...connection.reconnect };
  if (initialDelay > maxDelay)
    add('reconnect.initialDelay', initialDelay, `at most reconnect.maxDelay (${maxDelay})`);
  return issues;
}

/** `natMap` and `scaleReads` only mean something with `nodes`; every `natMap` target is `{ host, port }`. */
function clusterOnlyIssues(connection: ConnectionOptions): InvalidOption[] {
  const issues: InvalidOption[] = [];
  for (const field of ['natMap', 'scaleReads'] as const) {
    if (connection[field] !== undefined && !connection.nodes) {
      issues.push({
        path: `connection.${field}`,
        value: connection[field],
        expected: ['only together with nodes'],
      });
    }
  }
  for (const [from, to] of Object.entries(connection.natMap ?? {})) {
    const target: unknown = to;
    const valid =
      isPlainObject(target) &&
      typeof target.host === 'string' &&
      target.host.length > 0 &&
      Number.isInteger(target.port) &&
      (target.port as number) >= 1 &&
      (target.port as number) <= 65535 &&
      Object.keys(target).every((key) => key === 'host' || key === 'port');
    if (!valid || !/^.+:\d+$/.test(from)) {
      issues.push({
        path: `connection.natMap.${from}`,
        value: target,
        expected: ["an announced 'host:port' mapped to { host, port } (port 1-65535)"],
      });
    }
  }
  return issues;
}

function resolveConnection(connection: ConnectionOptions): ResolvedConnectionOptions {
  const { url, reconnect, ...rest } = connection;
  const fromUrl = url === undefined ? {} : parseValkeyUrl(url);
  return {
    ...CONNECTION_DEFAULTS,
    ...fromUrl,
    ...withoutUndefined(rest),
    reconnect: { ...RECONNECT_DEFAULTS, ...withoutUndefined(reconnect ?? {}) },
  };
}

/** Unpacks `redis://user:pass@host:port/db` (or `rediss://`) into connection fields. */
export function parseValkeyUrl(url: string): Partial<ConnectionOptions> | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return undefined;
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) return undefined;
  return withoutUndefined({
    host: parsed.hostname.replace(/^\[|\]$/g, '') || undefined,
    port: parsed.port ? Number(parsed.port) : undefined,
    db: db === '' ? undefined : Number(db),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? true : undefined,
  });
}

function flatten(error: ValidationError, parent: string): InvalidOption[] {
  // class-validator leaves `property` undefined on the child it reports for a nested value that is
  // not an object or array at all (a function given as `nodes`): that issue belongs to the parent.
  const property = (error.property as string | undefined) ?? '';
  const path = parent && property ? `${parent}.${property}` : parent || property;
  // An unknown property may be a misspelt secret (`pasword`): its value is never shown.
  const unknown = error.constraints !== undefined && 'whitelistValidation' in error.constraints;
  const value = unknown && error.value !== undefined ? REDACTED : redact(path, error.value);
  const own: InvalidOption[] = error.constraints
    ? [{ path, value, expected: Object.values(error.constraints) }]
    : [];
  return [...own, ...(error.children ?? []).flatMap((child) => flatten(child, path))];
}

/** Secrets never reach an error message or a log line; a URL keeps everything but its password. */
export function redact(field: string, value: unknown): unknown {
  const name = field.split('.').pop() ?? field;
  if (value === undefined || value === null) return value;
  if (SECRET_FIELDS.has(name)) return REDACTED;
  if (name === 'url' && typeof value === 'string')
    return value.replace(/(\/\/[^:/@]*:)[^@]*@/, `$1${REDACTED}@`);
  if (value instanceof Redis || value instanceof Cluster) return '[ioredis client]';
  if (value instanceof ConnectionSchema || value instanceof TlsSchema) return '[object]';
  return value;
}

const toSchema = <T extends object>(Schema: new () => T, source: Record<string, unknown>): T =>
  Object.assign(new Schema(), source);
