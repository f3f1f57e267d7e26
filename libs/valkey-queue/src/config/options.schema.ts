import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { SenderDefaultsSchema } from './sender-options.schema.js';
import { WorkerDefaultsSchema } from './worker-options.schema.js';
import { OwnershipSchema } from './ownership-options.schema.js';
import { MetricsSchema } from './metrics-options.schema.js';
import { TracingSchema } from './tracing-options.schema.js';
import { HistorySchema } from './history-options.schema.js';

/**
 * class-validator schemas mirroring the public option interfaces. They are internal: users write
 * plain objects, `validateOptions()` copies them into these classes and reports every failure.
 * Fields the schemas do not declare are rejected, so a typo never passes silently.
 * @internal
 */

export class NodeAddressSchema {
  @IsString() @IsNotEmpty() host!: string;
  @IsInt() @Min(1) @Max(65535) port!: number;
}

export class TlsSchema {
  @IsOptional() @IsString() ca?: string;
  @IsOptional() @IsString() @IsNotEmpty() caFile?: string;
  @IsOptional() @IsString() cert?: string;
  @IsOptional() @IsString() @IsNotEmpty() certFile?: string;
  @IsOptional() @IsString() key?: string;
  @IsOptional() @IsString() @IsNotEmpty() keyFile?: string;
  @IsOptional() @IsBoolean() rejectUnauthorized?: boolean;
  @IsOptional() @IsString() @IsNotEmpty() servername?: string;
}

export class ReconnectSchema {
  @IsOptional() @IsInt() @Min(1) initialDelay?: number;
  @IsOptional() @IsInt() @Min(1) maxDelay?: number;
}

export class ConnectionSchema {
  @IsOptional() @IsString() @IsNotEmpty() url?: string;
  @IsOptional() @IsString() @IsNotEmpty() host?: string;
  @IsOptional() @IsInt() @Min(1) @Max(65535) port?: number;
  @IsOptional() @IsInt() @Min(0) db?: number;
  @IsOptional() @IsString() @IsNotEmpty() username?: string;
  @IsOptional() @IsString() password?: string;
  // `tls` is boolean | TlsSchema: the object form is swapped for a TlsSchema before validation.
  @IsOptional()
  @ValidateIf((_, value) => typeof value !== 'boolean')
  @ValidateNested({ message: 'tls must be true, false or a TLS settings object' })
  tls?: boolean | TlsSchema;
  @IsOptional() @IsArray() @ArrayNotEmpty() @ValidateNested({ each: true }) sentinels?: NodeAddressSchema[];
  @IsOptional() @IsString() @IsNotEmpty() name?: string;
  @IsOptional() @IsString() @IsNotEmpty() sentinelUsername?: string;
  @IsOptional() @IsString() sentinelPassword?: string;
  @IsOptional() @IsArray() @ArrayNotEmpty() @ValidateNested({ each: true }) nodes?: NodeAddressSchema[];
  @IsOptional() @IsObject() natMap?: Record<string, NodeAddressSchema>;
  @IsOptional() @IsIn(['master', 'slave', 'all']) scaleReads?: 'master' | 'slave' | 'all';
  @IsOptional() @IsInt() @Min(1) connectTimeout?: number;
  @IsOptional() @IsInt() @Min(1) commandTimeout?: number;
  @IsOptional() @IsBoolean() lazyConnect?: boolean;
  @IsOptional() @ValidateNested() reconnect?: ReconnectSchema;
  // Checked by hand (must be an ioredis client); never walked by the validator.
  @IsOptional() client?: unknown;
}

export class SchedulerSchema {
  @IsOptional() @IsInt() @Min(10) @Max(60_000) pollInterval?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000) promoteBatchSize?: number;
}

/** Key prefixes: safe inside a `{...}` hash tag and readable in valkey-cli. */
export const PREFIX_PATTERN = /^[A-Za-z0-9_.:-]+$/;

export class ValkeyQueueOptionsSchema {
  @IsDefined({ message: 'connection is required: { url } or { host, port }, sentinels, nodes or client' })
  @ValidateNested()
  connection!: ConnectionSchema;
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(PREFIX_PATTERN, {
    message: 'prefix may contain only letters, digits and _ - . : (no braces or spaces)',
  })
  prefix?: string;

  @IsOptional() @ValidateNested() scheduler?: SchedulerSchema;

  @IsOptional() @ValidateNested() sender?: SenderDefaultsSchema;

  @IsOptional() @ValidateNested() worker?: WorkerDefaultsSchema;

  @IsOptional() @ValidateNested() ownership?: OwnershipSchema;

  @IsOptional() @ValidateNested() metrics?: MetricsSchema;

  @IsOptional() @ValidateNested() tracing?: TracingSchema;

  @IsOptional() @ValidateNested() history?: HistorySchema;
}
