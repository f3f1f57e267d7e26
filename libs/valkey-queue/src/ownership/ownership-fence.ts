import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import { OwnershipNotConfiguredError } from '../errors/ownership-not-configured.error.js';
import { StaleTokenError } from '../errors/stale-token.error.js';
import { LUA_SCRIPTS } from '../lua/lua-scripts.js';
import { ownershipKeys, type OwnershipKeys } from '../utils/keys.util.js';
import { VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import { assertStreamName } from './lbs-entry.js';

/**
 * The Lua function `assert_owner(fence_key, lease_key, token)` (lua/fragments/assert-owner.lua),
 * to paste at the top of your own scripts: it returns 1 when `token` is the stream's current fencing token and
 * its lease is live, -1 when a newer token was issued, -2 when no live lease carries it. Pass the
 * two keys from `OwnershipFence.keys(stream)` in KEYS.
 */
export const ASSERT_OWNER_LUA: string = extractAssertOwner(LUA_SCRIPTS.vqAssertOwner.lua);

/** The keys a fencing check reads, for your own scripts (declare both in KEYS). */
export interface FenceKeys {
  /** STRING counter: the newest fencing token issued for the stream. */
  readonly fence: string;
  /** STRING `<owner>:<token>` while a lease is live. */
  readonly lease: string;
}

/**
 * Fencing for downstream writes: a consumer that lost its lease (stalled, partitioned) may still
 * try to write; a write guarded by its fencing token is refused once a newer token exists or its
 * lease is no longer live. Use `write()` for one command, or `ASSERT_OWNER_LUA` in your own script.
 *
 * On Valkey Cluster, the keys written must share the service's hash tag (`keys(stream)`'s `{...}`
 * part) to be checked in the same script.
 *
 * @example
 * const lease = await ownership.claim('session:42');
 * await fence.write('session:42', lease.token, 'HSET', ['{vq:own:sessions}:state:42'], ['step', '3']);
 */
@Injectable()
export class OwnershipFence {
  private readonly keysOf?: OwnershipKeys;

  constructor(
    private readonly connection: ValkeyConnection,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) options: ResolvedValkeyQueueOptions,
  ) {
    if (options.ownership) this.keysOf = ownershipKeys(options.prefix, options.ownership.service);
  }

  /** The fence and lease keys of `stream`. Throws `OwnershipNotConfiguredError` without `ownership`. */
  keys(stream: string): FenceKeys {
    if (!this.keysOf) throw new OwnershipNotConfiguredError('keys');
    assertStreamName(stream);
    return { fence: this.keysOf.fence(stream), lease: this.keysOf.lease(stream) };
  }

  /** Resolves if `token` is the current, live fencing token of `stream`; else rejects with `StaleTokenError`. */
  async check(stream: string, token: number): Promise<void> {
    const { fence, lease } = this.keys(stream);
    const status = Number(await this.connection.client.vqAssertOwner(fence, lease, token));
    if (status !== 1) throw new StaleTokenError(stream, token, status === -1 ? 'superseded' : 'not-held');
  }

  /**
   * Runs one write command only if `token` passes the fencing check, atomically (fenced-write.lua).
   * `keys` are the command's keys, which come first in its arguments (SET, HSET, RPUSH, XADD, INCR...);
   * `args` are the rest. Resolves the command's reply; rejects with `StaleTokenError` (nothing
   * written) or with the command's own error.
   */
  async write<T = unknown>(
    stream: string,
    token: number,
    command: string,
    keys: readonly string[],
    args: readonly (string | number)[] = [],
  ): Promise<T> {
    const fenceKeys = this.keys(stream);
    const [status, reply] = await this.connection.client.vqFencedWrite(
      2 + keys.length,
      fenceKeys.fence,
      fenceKeys.lease,
      ...keys,
      token,
      command,
      ...args,
    );
    if (Number(status) !== 1)
      throw new StaleTokenError(stream, token, Number(status) === -1 ? 'superseded' : 'not-held');
    return reply as T;
  }
}

function extractAssertOwner(lua: string): string {
  const match = /-- BEGIN assert_owner\n([\s\S]*?)-- END assert_owner/.exec(lua);
  if (!match) throw new Error('the assert-owner fragment lost its BEGIN/END assert_owner markers');
  return match[1];
}
