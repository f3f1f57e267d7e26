/**
 * What the history needs of a node-postgres `Pool` (pg 8's `Pool` fits). Typed structurally, so the
 * library's types do not require `pg` to be installed.
 */
export interface HistoryPool {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  connect(): Promise<{
    query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
    release(error?: Error | boolean): void;
  }>;
  end(): Promise<void>;
}

/** The PostgreSQL database the history is written to: a connection string, or a pool you own. */
export type HistoryPostgresOptions = { connectionString: string } | { pool: HistoryPool };

/**
 * Task history in PostgreSQL (`ValkeyQueueModule.forRoot({ history })`). Off unless given: nothing
 * is loaded, written or read. When on, the optional peer dependency `pg` must be installed (unless a
 * `pool` is given). docs/history.md describes the schema, retention, sizing and backups.
 */
export interface HistoryOptions {
  /** Where to write: `{ connectionString: 'postgres://...' }` or `{ pool }` (a pg `Pool`, closed by you). */
  postgres: HistoryPostgresOptions;
  /**
   * PostgreSQL schema holding the history tables (created at boot). Letters, digits and `_`.
   * @default 'valkey_queue'
   */
  schema?: string;
  /**
   * How long history is kept: a duration like `'30d'`, `'12h'`; whole days of partitions are dropped.
   * @default '30d'
   */
  retention?: string;
  /**
   * Payloads kept with each message: none, the first 1 KiB of the encoded payload, or all of it.
   * @default 'none'
   */
  payloads?: 'none' | 'truncated' | 'full';
  /**
   * Events waiting in Valkey (per queue) above which the history health turns `down`; it is `degraded`
   * above half of it. Events are never dropped: they wait until PostgreSQL takes them.
   * @default 1_000_000
   */
  maxBacklog?: number;
}
