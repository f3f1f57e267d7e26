/**
 * Keyspace notification settings: how to learn that a lease key expired, and which flags
 * `notify-keyspace-events` needs for it. Existing flags are kept (other features may rely on them).
 * @internal
 */
export interface KeyspacePlan {
  /** The value to write with CONFIG SET, or undefined when the current one already suffices. */
  update?: string;
  /** `keyspace`: PSUBSCRIBE `__keyspace@<db>__:<lease prefix>*` (K); `keyevent`: SUBSCRIBE `__keyevent@<db>__:expired` (E). */
  channel: 'keyspace' | 'keyevent';
}

/**
 * Plans the `notify-keyspace-events` value: expired events (`x`, also part of the `A` alias) on the
 * keyspace channel (`K`), unless keyevent (`E`) is already on without `K`: then that channel is used
 * and nothing but a missing `x` is added.
 * @internal
 */
export function planKeyspaceFlags(current: string): KeyspacePlan {
  const hasExpired = current.includes('x') || current.includes('A');
  const channel = !current.includes('K') && current.includes('E') ? 'keyevent' : 'keyspace';
  let update = current;
  if (channel === 'keyspace' && !update.includes('K')) update += 'K';
  if (!hasExpired) update += 'x';
  return update === current ? { channel } : { update, channel };
}

/** Escapes glob metacharacters for a (P)SUBSCRIBE pattern. @internal */
export const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');
