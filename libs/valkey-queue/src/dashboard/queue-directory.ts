import type { Cluster, Redis } from 'ioredis';
import type { ValkeyClient } from '../connection/create-client.js';

/**
 * Key suffixes that make a queue exist (docs/key-layout.md): any one of them names its queue, as
 * do the per-priority streams and lists (`:stream:p5`).
 */
const QUEUE_KEY_SUFFIX = /^(?:stream|list|dead|delayed|stats|paused|(?:stream|list):p\d{1,2})$/;
/** Keys asked per SCAN call. */
const SCAN_COUNT = 1000;

/**
 * Every queue under the prefix, found by SCAN (never KEYS) on each primary and cached for `ttlMs`,
 * so the overview, its pages and the live feed share one scan. Sorted by name. @internal
 */
export class QueueDirectory {
  private cached?: { at: number; names: string[] };
  private scanning?: Promise<string[]>;

  constructor(
    private readonly client: ValkeyClient,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  /** The names, from the cache unless `fresh` (a page asked: it sees a queue created a moment ago). */
  async names({ fresh = false }: { fresh?: boolean } = {}): Promise<string[]> {
    if (!fresh && this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.names;
    this.scanning ??= this.scan().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  /** Forgets the cache (after an action that may create or remove a queue). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async scan(): Promise<string[]> {
    const nodes: Redis[] = this.client.isCluster
      ? (this.client as Cluster).nodes('master')
      : [this.client as Redis];
    const found = new Set<string>();
    const head = `{${this.prefix}:`;
    const pattern = `${head.replace(/[*?[\]\\]/g, '\\$&')}*}:*`;
    await Promise.all(
      nodes.map(async (node) => {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
          cursor = next;
          for (const key of keys) {
            const close = key.indexOf('}:', head.length);
            if (close > head.length && QUEUE_KEY_SUFFIX.test(key.slice(close + 2))) {
              found.add(key.slice(head.length, close));
            }
          }
        } while (cursor !== '0');
      }),
    );
    const names = [...found].sort();
    this.cached = { at: Date.now(), names };
    return names;
  }
}
