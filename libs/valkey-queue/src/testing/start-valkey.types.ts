/** An ACL user created on a harness-started server (`user <name> on ><password> <rules>`). */
export interface ValkeyTestUser {
  /** User name. */
  name: string;
  /** The user's password. */
  password: string;
  /**
   * ACL rules, as in an `ACL SETUSER` line.
   * @default '~* &* +@all'
   */
  rules?: string;
}

/** Options of {@link startValkey}. Any of them except `startupTimeout` and `ownProcessGroup` means "start our own server". */
export interface StartValkeyOptions {
  /**
   * `requirepass`: the password of the default user.
   * @default undefined (no password)
   */
  password?: string;
  /**
   * ACL users to create besides the default user.
   * @default []
   */
  users?: ValkeyTestUser[];
  /**
   * Serve TLS only, with a throwaway CA, a server certificate for 127.0.0.1/localhost and a client
   * certificate (client certificates are optional for connecting).
   * @default false
   */
  tls?: boolean;
  /**
   * Turn on the append-only file, so data written before `kill()` survives `restart()`.
   * @default false
   */
  appendonly?: boolean;
  /**
   * Extra server directives, written verbatim as `name value` lines after the harness's own
   * (so they win), e.g. `{ 'notify-keyspace-events': 'Ex' }`. An empty value is written as `""`.
   * Do not override `bind`, `port`, `tls-port` or `dir`: the harness relies on them.
   * @default {}
   */
  config?: Record<string, string>;
  /**
   * Server binary to run.
   * @default env VALKEY_SERVER_BIN, else `valkey-server`, else `redis-server` found on PATH
   */
  binary?: string;
  /**
   * Run a server binary in a process group of its own, so that a terminal's Ctrl-C (sent to the
   * whole foreground group) reaches only this Node process, which can then stop what uses the
   * server before it stops the server. The process must then stop the server on SIGINT/SIGTERM
   * itself, or the server outlives it. Ignored for VALKEY_URL and containers.
   * @default false
   */
  ownProcessGroup?: boolean;
  /**
   * How long to wait for the server to be ready, in milliseconds.
   * @default 10_000
   */
  startupTimeout?: number;
}

/** PEM texts and file paths of the throwaway TLS material of a `tls: true` server. */
export interface ValkeyTlsMaterial {
  /** The CA certificate (PEM) that signed the server and client certificates. */
  ca: string;
  /** The client certificate (PEM), signed by the CA. */
  cert: string;
  /** The client private key (PEM). */
  key: string;
  /** Path of the CA certificate file. */
  caFile: string;
  /** Path of the client certificate file. */
  certFile: string;
  /** Path of the client private key file. */
  keyFile: string;
}

/** Where a {@link StartedValkey} came from. */
export type ValkeySource = 'env' | 'binary' | 'container';

/** A running Valkey server for tests, and the controls to stop, crash and restart it. */
export interface StartedValkey {
  /** `redis://HOST:PORT`, or `rediss://...` for TLS; never contains credentials. */
  readonly url: string;
  /** Host to connect to. */
  readonly host: string;
  /** Port to connect to (the TLS port for a TLS server). May change after a container `restart()`. */
  readonly port: number;
  /** `env`: VALKEY_URL; `binary`: a local server process; `container`: testcontainers. */
  readonly source: ValkeySource;
  /** PID of the server process (`binary` only; undefined while killed). */
  readonly pid?: number;
  /** Password of the default user, if any. */
  readonly password?: string;
  /** TLS material, for `tls: true` servers. */
  readonly tls?: ValkeyTlsMaterial;
  /** Stops the server (SIGTERM, waits for exit) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL, waits for exit) to simulate a crash; keeps its data for `restart()`. */
  kill(): Promise<void>;
  /** Starts the server again on the same port with the same dir and config; resolves when ready. */
  restart(): Promise<void>;
}
