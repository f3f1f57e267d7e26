/** Where a {@link StartedPostgres} came from. */
export type PostgresSource = 'env' | 'binary' | 'container';

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /**
   * Directory holding `initdb` and `postgres`.
   * @default env POSTGRES_BIN_DIR, else `postgres` on PATH, else the newest /usr/lib/postgresql/<n>/bin
   */
  binDir?: string;
  /**
   * How long to wait for the server to be ready, in milliseconds.
   * @default 30_000
   */
  startupTimeout?: number;
}

/** A running PostgreSQL server for tests, and the controls to stop, crash and restart it. */
export interface StartedPostgres {
  /** `postgres://USER@HOST:PORT/DATABASE` (with a password only when DATABASE_URL had one). */
  readonly url: string;
  /** `env`: DATABASE_URL; `binary`: a local server process; `container`: testcontainers. */
  readonly source: PostgresSource;
  /** PID of the postmaster (`binary` only; undefined while killed). */
  readonly pid?: number;
  /** Stops the server (fast shutdown, waits for exit) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Kills the server and every backend (SIGKILL to its process group) to simulate a crash; keeps the data. */
  kill(): Promise<void>;
  /** Starts the server again on the same port with the same data; resolves when it accepts connections. */
  restart(): Promise<void>;
}
