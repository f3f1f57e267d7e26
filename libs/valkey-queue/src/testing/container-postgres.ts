import type { StartedTestContainer } from 'testcontainers';
import type { loadTestcontainers } from './container-server.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';
import type { StartedPostgres } from './start-postgres.types.js';

/** Image run when no PostgreSQL binary is installed. */
export const POSTGRES_IMAGE = 'postgres:15';
const POSTGRES_PORT = 5432;

type Testcontainers = NonNullable<Awaited<ReturnType<typeof loadTestcontainers>>>;

/** Starts {@link POSTGRES_IMAGE} with testcontainers, trusting local connections. */
export async function startContainerPostgres(
  testcontainers: Testcontainers,
  startupTimeout: number,
): Promise<StartedPostgres> {
  const { GenericContainer, Wait } = testcontainers;
  const container = await new GenericContainer(POSTGRES_IMAGE)
    .withExposedPorts(POSTGRES_PORT)
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withCommand(['postgres', '-c', 'fsync=off'])
    // The image's entrypoint starts the server twice (set-up, then for real): wait for the second.
    .withWaitStrategy(Wait.forLogMessage('database system is ready to accept connections', 2))
    .withStartupTimeout(startupTimeout)
    .start();
  return new ContainerPostgres(testcontainers, container);
}

class ContainerPostgres implements StartedPostgres {
  readonly source = 'container';
  #stopping?: Promise<void>;

  constructor(
    private readonly testcontainers: Testcontainers,
    private readonly container: StartedTestContainer,
  ) {}

  get url(): string {
    return `postgres://postgres@${this.container.getHost()}:${this.container.getMappedPort(POSTGRES_PORT)}/postgres`;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.container.stop({ timeout: 0 }).then(() => undefined);
    return this.#stopping;
  }

  async kill(): Promise<void> {
    if (this.#stopping) throw new ValkeyHarnessError('Cannot kill() a server after stop()');
    const client = await this.testcontainers.getContainerRuntimeClient();
    await client.container.stop(client.container.getById(this.container.getId()), { timeout: 0 });
  }

  async restart(): Promise<void> {
    if (this.#stopping) throw new ValkeyHarnessError('Cannot restart() a server after stop()');
    await this.container.restart({ timeout: 0 });
  }
}
