import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
} from 'class-validator';
import type { PayloadCodec } from '../codec/payload-codec.interface.js';
import type {
  Backoff,
  DtoClass,
  PriorityPolicy,
  WorkerTransport,
} from '../interfaces/worker-options.interface.js';
import { isBackoff } from './backoff.js';

/**
 * class-validator schemas of `WorkerDefaults` (module option `worker`) and `WorkerOptions`
 * (`@QueueWorker`). Internal: users write plain objects. @internal
 */

const IsBackoff = (): PropertyDecorator =>
  ValidateBy({
    name: 'isBackoff',
    validator: {
      validate: (value: unknown) => isBackoff(value),
      defaultMessage: () =>
        'backoff must be a delay in ms (>= 0), { type: "fixed" | "exponential", delay, maxDelay?, jitter? (0..1) } ' +
        'or a function (attempt, error) => ms',
    },
  });

const IsPriorityPolicy = (): PropertyDecorator =>
  ValidateBy({
    name: 'isPriorityPolicy',
    validator: {
      validate: (value: unknown) =>
        value === 'strict' ||
        (typeof value === 'object' &&
          value !== null &&
          Object.keys(value).length === 1 &&
          (value as { weighted?: unknown }).weighted === true),
      defaultMessage: () => "priorityPolicy must be 'strict' or { weighted: true }",
    },
  });

const IsClass = (): PropertyDecorator =>
  ValidateBy({
    name: 'isClass',
    validator: {
      validate: (value: unknown) => typeof value === 'function',
      defaultMessage: () => 'payload must be a DTO class',
    },
  });

const IsCodec = (): PropertyDecorator =>
  ValidateBy({
    name: 'isCodec',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' && value !== null && typeof (value as PayloadCodec).decode === 'function',
      defaultMessage: () => 'codec must be an object with a decode(text) function',
    },
  });

const IsKeyNamer = (): PropertyDecorator =>
  ValidateBy({
    name: 'isKeyNamer',
    validator: {
      validate: (value: unknown) => typeof value === 'function',
      defaultMessage: () => 'queueNamer must be a function (queue) => key name',
    },
  });

const DAY = 86_400_000;

export class WorkerDefaultsSchema {
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) group?: string;
  @IsOptional() @IsInt() @Min(1) @Max(10_000) concurrency?: number;
  @IsOptional() @IsInt() @Min(1) @Max(10_000) batchSize?: number;
  @IsOptional() @IsInt() @Min(0) @Max(1_000_000) maxRetries?: number;
  @IsOptional() @IsBackoff() backoff?: Backoff;
  @IsOptional() @IsInt() @Min(1) timeout?: number;
  @IsOptional() @IsInt() @Min(100) @Max(DAY) claimIdle?: number;
  @IsOptional() @IsBoolean() deleteOnAck?: boolean;
  @IsOptional() @IsBoolean() trimAcked?: boolean;
  @IsOptional() @IsBoolean() idempotent?: boolean;
  @IsOptional() @IsInt() @Min(1) processedTtl?: number;
  @IsOptional() @IsInt() @Min(0) shutdownTimeout?: number;
  @IsOptional() @IsInt() @Min(0) consumerIdleCleanup?: number;
  @IsOptional() @IsInt() @Min(10) @Max(60_000) blockTimeout?: number;
  @IsOptional() @IsInt() @Min(1) deadLetterMaxLen?: number;
  @IsOptional() @IsBoolean() deadLetterExpired?: boolean;
  @IsOptional() @IsBoolean() deadLetterStack?: boolean;
  @IsOptional() @IsBoolean() autoStart?: boolean;
  @IsOptional() @IsCodec() codec?: PayloadCodec;
}

export class WorkerOptionsSchema extends WorkerDefaultsSchema {
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) consumer?: string;
  @IsOptional() @IsIn(['stream', 'list']) transport?: WorkerTransport;
  @IsOptional() @IsKeyNamer() queueNamer?: (queue: string) => string;
  @IsOptional() @IsClass() payload?: DtoClass;
  @IsOptional() @IsBoolean() noAck?: boolean;
  @IsOptional() @IsPriorityPolicy() priorityPolicy?: PriorityPolicy;
  @IsOptional() @IsInt() @Min(0) @Max(10_000) orderedConcurrency?: number;
  @IsOptional() @IsIn(['continue', 'park']) orderedOnDead?: 'continue' | 'park';
}
