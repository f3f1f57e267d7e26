import { Inject, Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import {
  ConnectionError,
  DeleteOnAckRefusedError,
  InvalidOptionsError,
  OnMessage,
  QueueWorker,
  loadValkeyQueueOptionsFromEnv,
  VALKEY_QUEUE_CLIENT,
  ValkeyConnection,
  ValkeyQueueModule,
  type ValkeyClient,
  type ValkeyQueueOptions,
  type ValkeyQueueOptionsFactory,
} from 'nestjs-valkey-queue';
import { expectNoNewHandles, ioTurn, openHandleCounts } from '../utils/open-handles.js';
import { unusedPort } from '../utils/free-port.js';
import { useValkey } from '../utils/use-valkey.js';

/** Boots a testing module around the given ValkeyQueueModule import, as an app would. */
const boot = async (
  imports: Parameters<typeof Test.createTestingModule>[0]['imports'],
): Promise<TestingModule> => {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  await moduleRef.init();
  return moduleRef;
};

/** Expects module bootstrap to fail and returns the error, for assertions outside any catch. */
const bootFailure = async (options: ValkeyQueueOptions): Promise<Error> => {
  const failure = await boot([ValkeyQueueModule.forRoot(options)]).then(
    async (moduleRef) => {
      await moduleRef.close();
      return undefined;
    },
    (error: Error) => error,
  );
  expect(failure).toBeInstanceOf(Error);
  return failure as Error;
};

describe('ValkeyQueueModule (real Valkey)', () => {
  const valkey = useValkey({ config: { databases: '32' } });

  describe('forRoot', () => {
    let moduleRef: TestingModule;
    afterEach(async () => moduleRef?.close());

    it('connects and exposes the shared client', async () => {
      moduleRef = await boot([ValkeyQueueModule.forRoot({ connection: { url: valkey().url } })]);
      const client = moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
      await expect(client.ping()).resolves.toBe('PONG');
      expect(moduleRef.get(ValkeyConnection).address).toBe(`redis://127.0.0.1:${valkey().port}/0`);
    });

    it('uses a database index above 15', async () => {
      moduleRef = await boot([
        ValkeyQueueModule.forRoot({ connection: { host: '127.0.0.1', port: valkey().port, db: 20 } }),
      ]);
      await moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT).set('db-probe', 'twenty');
      const probe = new Redis(valkey().port, '127.0.0.1', { db: 20 });
      await expect(probe.get('db-probe')).resolves.toBe('twenty');
      await probe.quit();
    });

    it('is global: a feature module injects the client without importing it', async () => {
      @Injectable()
      class Consumer {
        constructor(@Inject(VALKEY_QUEUE_CLIENT) readonly client: ValkeyClient) {}
      }
      @Module({ providers: [Consumer] })
      class FeatureModule {}
      moduleRef = await boot([
        ValkeyQueueModule.forRoot({ connection: { url: valkey().url } }),
        FeatureModule,
      ]);
      await expect(moduleRef.get(Consumer).client.ping()).resolves.toBe('PONG');
    });
  });

  describe('forRootAsync', () => {
    @Injectable()
    class AppConfig {
      constructor(@Inject('VALKEY_URL') readonly url: string) {}
    }
    const configModule = () => {
      @Module({
        providers: [AppConfig, { provide: 'VALKEY_URL', useValue: valkey().url }],
        exports: [AppConfig],
      })
      class ConfigModule {}
      return ConfigModule;
    };
    let moduleRef: TestingModule;
    afterEach(async () => moduleRef?.close());

    it('builds options with a factory and injected config', async () => {
      moduleRef = await boot([
        ValkeyQueueModule.forRootAsync({
          imports: [configModule()],
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ connection: { url: config.url }, prefix: 'factory' }),
        }),
      ]);
      await expect(moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT).ping()).resolves.toBe('PONG');
    });

    it('builds options with useClass', async () => {
      @Injectable()
      class OptionsFactory implements ValkeyQueueOptionsFactory {
        createValkeyQueueOptions(): ValkeyQueueOptions {
          return { connection: { url: valkey().url } };
        }
      }
      moduleRef = await boot([ValkeyQueueModule.forRootAsync({ useClass: OptionsFactory })]);
      await expect(moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT).ping()).resolves.toBe('PONG');
    });

    it('builds options with useExisting', async () => {
      @Injectable()
      class SharedFactory implements ValkeyQueueOptionsFactory {
        constructor(private readonly config: AppConfig) {}
        async createValkeyQueueOptions(): Promise<ValkeyQueueOptions> {
          return { connection: { url: this.config.url } };
        }
      }
      const ConfigModule = configModule();
      @Module({ imports: [ConfigModule], providers: [SharedFactory], exports: [SharedFactory] })
      class FactoryModule {}
      moduleRef = await boot([
        ValkeyQueueModule.forRootAsync({ imports: [FactoryModule], useExisting: SharedFactory }),
      ]);
      await expect(moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT).ping()).resolves.toBe('PONG');
    });

    it('boots from VALKEY_QUEUE_* environment variables', async () => {
      const env = {
        VALKEY_QUEUE_HOST: '127.0.0.1',
        VALKEY_QUEUE_PORT: String(valkey().port),
        VALKEY_QUEUE_DATABASE: '3',
      };
      moduleRef = await boot([
        ValkeyQueueModule.forRootAsync({ useFactory: () => loadValkeyQueueOptionsFromEnv(env) }),
      ]);
      expect(moduleRef.get(ValkeyConnection).address).toBe(`redis://127.0.0.1:${valkey().port}/3`);
      await expect(moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT).ping()).resolves.toBe('PONG');
    });

    it('fails bootstrap with every invalid option listed', async () => {
      const failure = boot([
        ValkeyQueueModule.forRootAsync({
          useFactory: () => ({ connection: { port: 0, password: 'hunter2' }, prefix: '{x}' }),
        }),
      ]);
      await expect(failure).rejects.toThrow(InvalidOptionsError);
      await expect(failure).rejects.toThrow(/connection\.port = 0.*\n.*prefix = "\{x\}"/);
    });
  });

  describe('failures', () => {
    it('names the address of an unreachable server and gives up within connectTimeout', async () => {
      const port = await unusedPort();
      const startedAt = Date.now();
      const error = await bootFailure({ connection: { host: '127.0.0.1', port, connectTimeout: 1_000 } });
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toContain(`Cannot connect to Valkey at redis://127.0.0.1:${port}/0`);
      expect(Date.now() - startedAt).toBeLessThan(5_000);
    });

    it('lets an app start degraded with lazyConnect, then connects when the server appears', async () => {
      const moduleRef = await boot([
        ValkeyQueueModule.forRoot({ connection: { url: valkey().url, lazyConnect: true } }),
      ]);
      await expect(moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT).ping()).resolves.toBe('PONG');
      await moduleRef.close();

      const port = await unusedPort();
      const degraded = await boot([
        ValkeyQueueModule.forRoot({
          connection: { host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 200 },
        }),
      ]);
      expect(degraded.get<ValkeyClient>(VALKEY_QUEUE_CLIENT).status).not.toBe('ready');
      await degraded.close();
    });
  });

  describe('connections and shutdown', () => {
    it('opens blocking connections lazily, counts them, and closes everything on shutdown', async () => {
      const before = openHandleCounts();
      const moduleRef = await boot([ValkeyQueueModule.forRoot({ connection: { url: valkey().url } })]);
      const connection = moduleRef.get(ValkeyConnection);
      // Only the wake-up signal subscriber (docs/architecture.md): no worker, no reader yet.
      expect(connection.blockingConnectionCount).toBe(1);
      const reader = await connection.createBlockingConnection('reader');
      const other = await connection.createBlockingConnection('other');
      expect(connection.blockingConnectionCount).toBe(3);
      // a blocking read must not time out like a command would
      await expect(reader.call('BLPOP', 'nothing-here', '0.05')).resolves.toBeNull();
      await connection.release(other);
      expect(connection.blockingConnectionCount).toBe(2);

      await moduleRef.close();
      expect([connection.client.status, reader.status, other.status]).toEqual(['end', 'end', 'end']);
      await ioTurn();
      await expectNoNewHandles(before);
    });

    it('a failed bootstrap releases every connection and timer it opened, without close()', async () => {
      const queue = `refused-${randomUUID()}`;
      const checker = new Redis(valkey().url);
      await checker.xgroup('CREATE', `{vq:${queue}}:stream`, 'analytics', '0', 'MKSTREAM');
      @QueueWorker(queue, { deleteOnAck: true })
      class RefusedWorker {
        @OnMessage() handle(): void {}
      }
      @QueueWorker(`other-${randomUUID()}`)
      class OtherWorker {
        @OnMessage() handle(): void {}
      }
      const before = openHandleCounts();
      const moduleRef = await Test.createTestingModule({
        imports: [ValkeyQueueModule.forRoot({ connection: { url: valkey().url } })],
        providers: [RefusedWorker, OtherWorker],
      }).compile();
      const failure = await moduleRef.init().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(DeleteOnAckRefusedError);

      const openNames = async (): Promise<string[]> =>
        String(await checker.client('LIST'))
          .split('\n')
          .flatMap((line) => /\bname=(vq:\S*)/.exec(line)?.[1] ?? []);
      await expect(openNames()).resolves.toEqual([]);
      await ioTurn();
      await expectNoNewHandles(before);
      await moduleRef.close(); // still allowed, and changes nothing
      await checker.quit();
    });

    it('uses a shared client without ever closing it', async () => {
      const shared = new Redis(valkey().url);
      const moduleRef = await boot([ValkeyQueueModule.forRoot({ connection: { client: shared } })]);
      expect(moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT)).toBe(shared);
      const reader = await moduleRef.get(ValkeyConnection).createBlockingConnection('reader');
      expect(reader).not.toBe(shared);
      await moduleRef.close();
      expect(reader.status).toBe('end');
      await expect(shared.ping()).resolves.toBe('PONG');
      await shared.quit();
    });
  });
});

describe('ValkeyQueueModule over TLS (real Valkey)', () => {
  const valkey = useValkey({ tls: true });

  it('connects with only the CA (no client certificate)', async () => {
    const moduleRef = await boot([
      ValkeyQueueModule.forRoot({ connection: { url: valkey().url, tls: { ca: valkey().tls!.ca } } }),
    ]);
    await expect(moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT).ping()).resolves.toBe('PONG');
    expect(moduleRef.get(ValkeyConnection).address).toMatch(/^rediss:\/\//);
    await moduleRef.close();
  });

  it('reads the CA, certificate and key from files (env variables)', async () => {
    const tls = valkey().tls!;
    const options = loadValkeyQueueOptionsFromEnv({
      VALKEY_QUEUE_URL: valkey().url,
      VALKEY_QUEUE_TLS_CA_FILE: tls.caFile,
      VALKEY_QUEUE_TLS_CERT_FILE: tls.certFile,
      VALKEY_QUEUE_TLS_KEY_FILE: tls.keyFile,
    });
    const moduleRef = await boot([ValkeyQueueModule.forRoot(options)]);
    await expect(moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT).ping()).resolves.toBe('PONG');
    await moduleRef.close();
  });

  it('refuses a server certificate it cannot verify', async () => {
    const error = await bootFailure({ connection: { url: valkey().url, connectTimeout: 2_000 } });
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/self-signed|unable to verify|certificate/i);
  });

  it('names a CA file it cannot read', async () => {
    const error = await bootFailure({
      connection: { url: valkey().url, tls: { caFile: '/nonexistent/ca.pem' } },
    });
    expect(error.message).toMatch(/^connection\.tls\.caFile: cannot read \/nonexistent\/ca\.pem/);
  });
});

describe('ValkeyQueueModule with ACL users (real Valkey)', () => {
  const valkey = useValkey({ users: [{ name: 'queue-app', password: 'app-secret' }] });

  it('authenticates as an ACL user', async () => {
    const moduleRef = await boot([
      ValkeyQueueModule.forRoot({
        connection: { host: '127.0.0.1', port: valkey().port, username: 'queue-app', password: 'app-secret' },
      }),
    ]);
    await expect(moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT).call('ACL', 'WHOAMI')).resolves.toBe(
      'queue-app',
    );
    await moduleRef.close();
  });

  it('fails fast on a wrong password, without revealing it', async () => {
    const error = await bootFailure({
      connection: {
        url: `redis://queue-app:not-the-password@127.0.0.1:${valkey().port}`,
        connectTimeout: 2_000,
      },
    });
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain(`127.0.0.1:${valkey().port}`);
    expect(error.message).toMatch(/WRONGPASS|invalid username-password/i);
    expect(error.message).not.toContain('not-the-password');
  });
});
