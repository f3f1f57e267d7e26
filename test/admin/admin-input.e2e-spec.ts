import { jest } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  InvalidAdminArgumentError,
  InvalidQueueNameError,
  QueueAdmin,
  VALKEY_QUEUE_CLIENT,
  ValkeyQueueModule,
  type ValkeyClient,
} from 'nestjs-valkey-queue';
import { unusedPort } from '../utils/free-port.js';

/**
 * Bad input is rejected with a typed error before any command: the module points at a port where
 * nothing listens (lazyConnect), and the client's sendCommand is watched.
 */
describe('QueueAdmin input validation', () => {
  let moduleRef: TestingModule;
  let admin: QueueAdmin;
  let sendCommand: ReturnType<typeof jest.spyOn>;

  beforeAll(async () => {
    const port = await unusedPort();
    moduleRef = await Test.createTestingModule({
      imports: [
        ValkeyQueueModule.forRoot({
          connection: { host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 200 },
        }),
      ],
    }).compile();
    admin = moduleRef.get(QueueAdmin);
    const client = moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
    sendCommand = jest.spyOn(client, 'sendCommand');
  });
  afterAll(async () => moduleRef.close());
  afterEach(() => expect(sendCommand).not.toHaveBeenCalled());

  const badQueues: unknown[] = ['', 'a{b}', 'with space', 'tab\there', 'x'.repeat(201), 42, undefined];

  it.each(badQueues)('rejects queue name %p in every method with InvalidQueueNameError', async (queue) => {
    const name = queue as string;
    for (const call of [
      () => admin.deadLetters(name),
      () => admin.redrive(name),
      () => admin.pause(name),
      () => admin.resume(name),
      () => admin.stats(name),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(InvalidQueueNameError);
    }
  });

  it.each([0, -1, 1.5, 1001, Number.NaN, Infinity, '10', null])('rejects count %p', async (count) => {
    const options = { count } as unknown as { count: number };
    await expect(admin.deadLetters('orders', options)).rejects.toBeInstanceOf(InvalidAdminArgumentError);
    await expect(admin.redrive('orders', options)).rejects.toMatchObject({
      code: 'VQ_INVALID_ADMIN_ARGUMENT',
      argument: 'count',
    });
    await expect(admin.redrive('orders', { ...options, ids: ['a'] })).rejects.toBeInstanceOf(
      InvalidAdminArgumentError,
    );
  });

  it.each(['abc', '1-2-3', '-1', '', '18446744073709551616-0', 7])('rejects cursor %p', async (cursor) => {
    await expect(
      admin.deadLetters('orders', { cursor } as unknown as { cursor: string }),
    ).rejects.toMatchObject({ code: 'VQ_INVALID_ADMIN_ARGUMENT', argument: 'cursor' });
  });

  it('rejects ids that are not an array of at most 1000 non-empty strings', async () => {
    const tooMany = Array.from({ length: 1001 }, (_, index) => `id-${index}`);
    for (const ids of ['id-1', [''], [7], tooMany]) {
      await expect(admin.redrive('orders', { ids } as unknown as { ids: string[] })).rejects.toMatchObject({
        code: 'VQ_INVALID_ADMIN_ARGUMENT',
        argument: 'ids',
      });
    }
  });

  it('rejects options that are not an object', async () => {
    await expect(admin.deadLetters('orders', 5 as never)).rejects.toBeInstanceOf(InvalidAdminArgumentError);
    await expect(admin.redrive('orders', [] as never)).rejects.toBeInstanceOf(InvalidAdminArgumentError);
  });

  it('names the argument, the value and what was expected in the message', async () => {
    await expect(admin.redrive('orders', { count: 0 })).rejects.toThrow(
      'Invalid count 0: expected a whole number from 1 to 1000',
    );
  });
});
