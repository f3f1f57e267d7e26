import { rm } from 'node:fs/promises';
import type { ServerProcess } from './server-process.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/**
 * A server the harness runs from a local binary in a temp dir of its own: kill() and restart() until
 * stop(), which ends the process and removes the dir.
 */
export abstract class LocalServer {
  #server?: ServerProcess;
  #stopping?: Promise<void>;

  protected constructor(
    private readonly dir: string,
    server: ServerProcess,
    /** How restart() errors name the server, e.g. `PostgreSQL`. */
    private readonly serverName: string,
  ) {
    this.#server = server;
  }

  abstract readonly port: number;

  /** Starts the server again, as it was first started. */
  protected abstract respawn(): Promise<ServerProcess>;

  get pid(): number | undefined {
    return this.#server?.exited === false ? this.#server.pid : undefined;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#server?.terminate();
      this.#server = undefined;
      await rm(this.dir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }

  async kill(): Promise<void> {
    this.#assertNotStopped('kill');
    await this.#server?.kill();
    this.#server = undefined;
  }

  async restart(): Promise<void> {
    this.#assertNotStopped('restart');
    await this.#server?.terminate();
    this.#server = undefined;
    try {
      this.#server = await this.respawn();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ValkeyHarnessError(`Could not restart ${this.serverName} on port ${this.port}: ${reason}`, {
        cause: error,
      });
    }
  }

  #assertNotStopped(action: string): void {
    if (this.#stopping) throw new ValkeyHarnessError(`Cannot ${action}() a server after stop()`);
  }
}
