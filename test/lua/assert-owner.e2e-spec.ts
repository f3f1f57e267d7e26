import { useValkey } from '../utils/use-valkey.js';
import { leaseKeys, useScripts } from './lua-kit.js';

describe('assert-owner.lua and fenced-write.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(
    () => valkey().url,
    async (client) => {
      const keys = leaseKeys();
      await client.set(keys.fence('s1'), 7);
      await client.set(keys.lease('s1'), 'c1:7', 'PX', 10_000);
      return { ...keys, target: `${keys.tag}:data` };
    },
  );

  const check = (token: number | string) =>
    state.client.vqAssertOwner(state.keys.fence('s1'), state.keys.lease('s1'), token);
  const write = (token: number, command: string, commandKeys: string[], args: (string | number)[]) =>
    state.client.vqFencedWrite(
      2 + commandKeys.length,
      state.keys.fence('s1'),
      state.keys.lease('s1'),
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
      const { client, keys } = state;
      await client.del(keys.lease('s1'));
      await expect(check(7)).resolves.toBe(-2);
    });

    it('returns -2 for a token never issued, or not a number', async () => {
      const { client, keys } = state;
      await expect(check(8)).resolves.toBe(-2);
      await expect(check('x')).resolves.toBe(-2);
      await client.set(keys.lease('s1'), 'c1:8'); // a lease value that disagrees with the counter
      await expect(check(8)).resolves.toBe(-2);
    });
  });

  describe('fenced-write.lua', () => {
    it('returns { 1, reply } and writes for the current token', async () => {
      const { client, keys } = state;
      const { target } = keys;
      await expect(write(7, 'RPUSH', [target], ['a', 'b'])).resolves.toEqual([1, 2]);
      await expect(write(7, 'HSET', [`${target}:h`], ['f', 'v'])).resolves.toEqual([1, 1]);
      await expect(write(7, 'SET', [`${target}:s`], ['v'])).resolves.toEqual([1, 'OK']);
      await expect(client.lrange(target, 0, -1)).resolves.toEqual(['a', 'b']);
    });

    it('returns { -1 } for a stale token and writes nothing', async () => {
      const { client, keys } = state;
      const { target } = keys;
      await expect(write(6, 'RPUSH', [target], ['a'])).resolves.toEqual([-1]);
      await expect(client.exists(target)).resolves.toBe(0);
    });

    it('returns { -2 } for a lapsed lease and writes nothing', async () => {
      const { client, keys } = state;
      const { target } = keys;
      await client.del(keys.lease('s1'));
      await expect(write(7, 'RPUSH', [target], ['a'])).resolves.toEqual([-2]);
      await expect(client.exists(target)).resolves.toBe(0);
    });

    it("passes the command's own error through", async () => {
      const { client, keys } = state;
      const { target } = keys;
      await client.set(target, 'a string');
      await expect(write(7, 'RPUSH', [target], ['a'])).rejects.toThrow(/WRONGTYPE/);
    });
  });
});
