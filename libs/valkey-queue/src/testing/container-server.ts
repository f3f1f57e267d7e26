import type { StartedTestContainer } from 'testcontainers';
import type { StartedValkey, StartValkeyOptions } from './start-valkey.types.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/** Image run when no server binary is installed. */
export const VALKEY_IMAGE = 'valkey/valkey:8';
const VALKEY_PORT = 6379;

type Testcontainers = typeof import('testcontainers');

/**
 * Loads testcontainers and checks that a container runtime answers; undefined when either fails.
 * The import is dynamic so that users with a local server binary never load testcontainers (or need it).
 */
export async function loadTestcontainers(): Promise<Testcontainers | undefined> {
  try {
    const testcontainers = await import('testcontainers');
    await testcontainers.getContainerRuntimeClient();
    return testcontainers;
  } catch {
    return undefined;
  }
}

/** Starts {@link VALKEY_IMAGE} with testcontainers. Only the `password` option is supported. */
export async function startContainerServer(
  testcontainers: Testcontainers,
  options: StartValkeyOptions,
  startupTimeout: number,
): Promise<StartedValkey> {
  const unsupported = (['users', 'tls', 'appendonly', 'config'] as const).filter((name) => options[name]);
  if (unsupported.length > 0) {
    throw new ValkeyHarnessError(
      `No valkey-server or redis-server binary found, and the Docker fallback supports only the password option, not: ${unsupported.join(', ')}. Install valkey-server or set VALKEY_SERVER_BIN.`,
    );
  }
  const { GenericContainer, Wait } = testcontainers;
  const command = ['valkey-server', '--save', ''];
  if (options.password !== undefined) command.push('--requirepass', options.password);
  const container = await new GenericContainer(VALKEY_IMAGE)
    .withExposedPorts(VALKEY_PORT)
    .withCommand(command)
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .withStartupTimeout(startupTimeout)
    .start();
  return new ContainerValkey(testcontainers, container, options.password);
}

/** A server in a testcontainers-managed container. */
class ContainerValkey implements StartedValkey {
  readonly source = 'container';
  #stopping?: Promise<void>;

  constructor(
    private readonly testcontainers: Testcontainers,
    private readonly container: StartedTestContainer,
    readonly password: string | undefined,
  ) {}

  get host(): string {
    return this.container.getHost();
  }

  // Read on every access: the mapped port may change when the container restarts.
  get port(): number {
    return this.container.getMappedPort(VALKEY_PORT);
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.container.stop({ timeout: 0 }).then(() => undefined);
    return this.#stopping;
  }

  async kill(): Promise<void> {
    this.#assertNotStopped('kill');
    // Through the runtime client: StartedTestContainer.stop() would remember the container as stopped
    // for good, so a later stop() after restart() would not stop it again.
    const client = await this.testcontainers.getContainerRuntimeClient();
    await client.container.stop(client.container.getById(this.container.getId()), { timeout: 0 });
  }

  async restart(): Promise<void> {
    this.#assertNotStopped('restart');
    await this.container.restart({ timeout: 0 });
  }

  #assertNotStopped(action: string): void {
    if (this.#stopping) throw new ValkeyHarnessError(`Cannot ${action}() a server after stop()`);
  }
}
