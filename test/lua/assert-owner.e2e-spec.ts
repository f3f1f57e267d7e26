import type { TestingModule } from '@nestjs/testing';
import { VALKEY_QUEUE_CLIENT, type ValkeyClient } from 'nestjs-valkey-queue';
import { bootOwnership, ownKeys, uniqueService } from '../ownership/ownership-test-kit.js';
import { useValkey } from '../utils/use-valkey.js';

describe('assert-owner.lua and fenced-write.lua (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule;
  let client: ValkeyClient;
  let keys: ReturnType<typeof ownKeys>;
  let target: string;

  beforeAll(async () => {
    moduleRef = await bootOwnership(valkey().url, undefined);
    client = moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
  });
  afterAll(async () => moduleRef.close());
  beforeEach(async () => {
    keys = ownKeys(uniqueService());
    target = `${keys.tag}:data`;
    await client.set(keys.fence('s1'), 7);
    await client.set(keys.lease('s1'), 'c1:7', 'PX', 10_000);
  });

  const check = (token: number | string) => client.vqAssertOwner(keys.fence('s1'), keys.lease('s1'), token);
  const write = (token: number, command: string, commandKeys: string[], args: (string | number)[]) =>
    client.vqFencedWrite(
      2 + commandKeys.length,
      keys.fence('s1'),
      keys.lease('s1'),
      ...commandKeys,
      token,
      command,
      ...args,
    );

  describe('assert-owner.lua', () => {
    it('returns 1 for the current token of a live lease', async () => {
      await expect(check(7)).resolves.toBe(1);
    });

    it('returns -1 for a token lower than the current one', async () => {
      await expect(check(6)).resolves.toBe(-1);
      await expect(check(1)).resolves.toBe(-1);
    });

    it('returns -2 when the current token has no live lease (it lapsed)', async () => {
      await client.del(keys.lease('s1'));
      await expect(check(7)).resolves.toBe(-2);
    });

    it('returns -2 for a token never issued, or not a number', async () => {
      await expect(check(8)).resolves.toBe(-2);
      await expect(check('x')).resolves.toBe(-2);
      await client.set(keys.lease('s1'), 'c1:8'); // a lease value that disagrees with the counter
      await expect(check(8)).resolves.toBe(-2);
    });
  });

  describe('fenced-write.lua', () => {
    it('returns { 1, reply } and writes for the current token', async () => {
      await expect(write(7, 'RPUSH', [target], ['a', 'b'])).resolves.toEqual([1, 2]);
      await expect(write(7, 'HSET', [`${target}:h`], ['f', 'v'])).resolves.toEqual([1, 1]);
      await expect(write(7, 'SET', [`${target}:s`], ['v'])).resolves.toEqual([1, 'OK']);
      await expect(client.lrange(target, 0, -1)).resolves.toEqual(['a', 'b']);
    });

    it('returns { -1 } for a stale token and writes nothing', async () => {
      await expect(write(6, 'RPUSH', [target], ['a'])).resolves.toEqual([-1]);
      await expect(client.exists(target)).resolves.toBe(0);
    });

    it('returns { -2 } for a lapsed lease and writes nothing', async () => {
      await client.del(keys.lease('s1'));
      await expect(write(7, 'RPUSH', [target], ['a'])).resolves.toEqual([-2]);
      await expect(client.exists(target)).resolves.toBe(0);
    });

    it("passes the command's own error through", async () => {
      await client.set(target, 'a string');
      await expect(write(7, 'RPUSH', [target], ['a'])).rejects.toThrow(/WRONGTYPE/);
    });
  });
});
