import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { isPlainObject } from '../utils/objects.util.js';

/**
 * class-validator schemas of the sender options (`forRoot({ sender })` and `registerSender()`).
 * Internal: plain option objects are copied into them (see `toSenderSchema`) and validated.
 * @internal
 */

const isFunction = (value: unknown): boolean => typeof value === 'function';

/** The value is a function. */
const IsFunction = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isFunction',
      validator: { validate: isFunction, defaultMessage: () => '$property must be a function' },
    },
    options,
  );

/** The value is a codec: an object with `encode` and `decode` functions. */
const IsCodec = (): PropertyDecorator =>
  ValidateBy({
    name: 'isCodec',
    validator: {
      validate: (value: unknown) =>
        isPlainOrInstance(value) && isFunction(value.encode) && isFunction(value.decode),
      defaultMessage: () => '$property must be an object with encode(value) and decode(text) functions',
    },
  });

/** The value is an object whose values are all strings. */
export const IsStringRecord = (): PropertyDecorator =>
  ValidateBy({
    name: 'isStringRecord',
    validator: {
      validate: (value: unknown) =>
        isPlainObject(value) && Object.values(value).every((entry) => typeof entry === 'string'),
      defaultMessage: () => '$property must be an object of string values',
    },
  });

const isPlainOrInstance = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** Skips nested validation for `false` (the "turned off" form of an object option). */
const UnlessFalse = (): PropertyDecorator => ValidateIf((_, value) => value !== false);

export class RateLimitSchema {
  @IsOptional() @IsNumber() @Min(0.001) perSecond?: number;
  @IsOptional() @IsInt() @Min(1) burst?: number;
  @IsOptional() @IsInt() @Min(0) maxWait?: number;
}

export class RetryBackoffSchema {
  @IsOptional() @IsInt() @Min(1) initialDelay?: number;
  @IsOptional() @IsInt() @Min(1) maxDelay?: number;
}

export class CircuitBreakerSchema {
  @IsOptional() @IsIn(['consecutive', 'ratio']) mode?: 'consecutive' | 'ratio';
  // Its range depends on the mode: checked in resolve-sender-options.ts.
  @IsOptional() @IsNumber() @Min(0) threshold?: number;
  @IsOptional() @IsInt() @Min(100) window?: number;
  @IsOptional() @IsNumber() @Min(0) minimumRps?: number;
  @IsOptional() @IsInt() @Min(1) halfOpenAfter?: number;
}

export class DurabilitySchema {
  @IsInt() @Min(1) @Max(100) replicas!: number;
  @IsInt() @Min(1) timeout!: number;
}

export class SenderOptionsSchema {
  @IsOptional() @IsIn(['stream', 'list']) transport?: 'stream' | 'list';
  @IsOptional() @IsFunction() queueNamer?: unknown;
  @IsOptional() @IsIn(['envelope', 'valkeysender']) listFormat?: 'envelope' | 'valkeysender';
  @IsOptional() @IsCodec() codec?: unknown;
  @IsOptional() @IsInt() @Min(1) maxPayloadBytes?: number;
  // Bounded so one chunk's script stays short (a few ms) and its arguments fit in memory comfortably.
  @IsOptional() @IsInt() @Min(1) @Max(10_000) chunkSize?: number;
  @IsOptional() @IsInt() @Min(1) timeout?: number;
  @IsOptional() @IsInt() @Min(0) idempotencyWindow?: number;
  @IsOptional() @IsInt() @Min(1) dedupTtl?: number;
  @IsOptional() @IsInt() @Min(1) ttl?: number;
  @IsOptional() @IsStringRecord() headers?: Record<string, string>;
  @IsOptional() @IsInt() @Min(1) maxLen?: number;
  @IsOptional() @IsInt() @Min(1) maxAge?: number;
  @IsOptional() @IsInt() @Min(0) @Max(100) maxRetries?: number;
  @IsOptional() @ValidateNested() retryBackoff?: RetryBackoffSchema;
  @IsOptional()
  @UnlessFalse()
  @ValidateNested({ message: 'rateLimit must be false or { perSecond?, burst?, maxWait? }' })
  rateLimit?: RateLimitSchema | false;
  @IsOptional()
  @UnlessFalse()
  @ValidateNested({ message: 'durability must be false or { replicas, timeout }' })
  durability?: DurabilitySchema | false;
  @IsOptional() @IsFunction() onSent?: unknown;
  @IsOptional() @IsFunction() onError?: unknown;
}

export class SenderDefaultsSchema extends SenderOptionsSchema {
  @IsOptional()
  @UnlessFalse()
  @ValidateNested({ message: 'circuitBreaker must be false or a circuit breaker settings object' })
  circuitBreaker?: CircuitBreakerSchema | false;
  @IsOptional() @IsInt() @Min(1_000) statusWindow?: number;
}

export class RegisterSenderSchema extends SenderOptionsSchema {
  // The queue-name rules themselves are checked by assertQueueName.
  @IsString() name!: string;
}

/**
 * Copies plain sender options into `Schema`, nested objects into theirs, so class-validator can
 * walk them. Non-object nested values are left as they are and fail validation.
 */
export function toSenderSchema<T extends SenderOptionsSchema>(
  Schema: new () => T,
  source: Record<string, unknown>,
): T {
  const schema: Record<string, unknown> = Object.assign(new Schema(), source);
  const nested = [
    ['retryBackoff', RetryBackoffSchema],
    ['rateLimit', RateLimitSchema],
    ['circuitBreaker', CircuitBreakerSchema],
    ['durability', DurabilitySchema],
  ] as const;
  for (const [field, Nested] of nested) {
    const value = source[field];
    if (isPlainObject(value)) schema[field] = Object.assign(new Nested(), value);
  }
  return schema as T;
}
