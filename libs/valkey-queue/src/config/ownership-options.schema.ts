import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { InvalidOption } from '../errors/invalid-options.error.js';
import { isPlainObject, withoutUndefined } from '../utils/objects.util.js';
import type { OwnershipOptions } from '../interfaces/ownership-options.interface.js';

/** Service names: safe inside the `{<prefix>:own:<service>}` hash tag and in a PSUBSCRIBE pattern. */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;
/** The shortest lease we accept: shorter ones lapse on ordinary GC pauses and network hiccups. */
export const MIN_LEASE_TTL = 3_000;
const HOUR = 3_600_000;

/** class-validator schema of the module option `ownership`. @internal */
export class OwnershipSchema {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(SERVICE_NAME_PATTERN, {
    message: 'service may contain only letters, digits and _ - . : (no braces or spaces)',
  })
  service!: string;
  @IsOptional() @IsInt() @Min(MIN_LEASE_TTL) @Max(24 * HOUR) leaseTtl?: number;
  @IsOptional() @IsInt() @Min(100) @Max(12 * HOUR) heartbeatInterval?: number;
  @IsOptional() @IsInt() @Min(100) @Max(24 * HOUR) sweepInterval?: number;
  @IsOptional() @IsInt() @Min(1_000) @Max(24 * HOUR) recoveryIdle?: number;
  @IsOptional() @IsInt() @Min(1) @Max(10_000) recoveryCount?: number;
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/^[^\s{}]+$/, {
    message: 'consumer must not contain whitespace or braces',
  })
  consumer?: string;
}

/** Ownership options with every default applied (`consumer` stays optional: see consumerId()). @internal */
export type ResolvedOwnershipOptions = Required<Omit<OwnershipOptions, 'consumer'>> &
  Pick<OwnershipOptions, 'consumer'>;

const DEFAULT_LEASE_TTL = 15_000;
const DEFAULT_RECOVERY_COUNT = 100;

/** Applies the defaults, each derived from `leaseTtl` unless given. @internal */
export function resolveOwnershipOptions(
  options: OwnershipOptions | undefined,
): ResolvedOwnershipOptions | undefined {
  if (!options) return undefined;
  const given = withoutUndefined(options);
  const leaseTtl = given.leaseTtl ?? DEFAULT_LEASE_TTL;
  return {
    heartbeatInterval: Math.floor(leaseTtl / 3),
    sweepInterval: leaseTtl,
    recoveryIdle: 2 * leaseTtl,
    recoveryCount: DEFAULT_RECOVERY_COUNT,
    ...given,
    leaseTtl,
  };
}

/** Rules across fields, run once the fields themselves are valid. @internal */
export function ownershipRuleIssues(options: unknown): InvalidOption[] {
  if (!isPlainObject(options)) return [];
  const resolved = resolveOwnershipOptions(options as unknown as OwnershipOptions);
  if (!resolved || resolved.leaseTtl > 2 * resolved.heartbeatInterval) return [];
  return [
    {
      path: 'ownership.heartbeatInterval',
      value: resolved.heartbeatInterval,
      expected: [
        `less than half of leaseTtl (${resolved.leaseTtl}), so a failed heartbeat is retried in time`,
      ],
    },
  ];
}
