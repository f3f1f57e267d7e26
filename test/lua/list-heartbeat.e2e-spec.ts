import { useValkey } from '../utils/use-valkey.js';
import { elements, useListScripts } from './list-lua-kit.js';

describe('list-heartbeat.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useListScripts(() => valkey().url);
  const heartbeat = (mode: 'beat' | 'leave', ttl = 30_000) =>
    state.client.vqListHeartbeat(
      state.keys.heartbeat('c1'),
      state.keys.consumers,
      state.keys.inflight('c1'),
      'c1',
      state.keys.list,
      ttl,
      mode,
    );

  it('beat: sets the heartbeat with the TTL and registers the consumer; 0 when it had lapsed, 1 when alive', async () => {
    const { client, keys } = state;
    await expect(heartbeat('beat')).resolves.toBe(0);
    await expect(client.hget(keys.consumers, 'c1')).resolves.toBe(keys.list);
    const ttl = await client.pttl(keys.heartbeat('c1'));
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await expect(heartbeat('beat', 60_000)).resolves.toBe(1);
    await expect(client.pttl(keys.heartbeat('c1'))).resolves.toBeGreaterThan(50_000);
  });

  it('leave: drops the heartbeat and the registration when nothing is in flight (1)', async () => {
    const { client, keys } = state;
    await heartbeat('beat');
    await expect(heartbeat('leave')).resolves.toBe(1);
    await expect(client.exists(keys.heartbeat('c1'))).resolves.toBe(0);
    await expect(client.hexists(keys.consumers, 'c1')).resolves.toBe(0);
  });

  it('leave: keeps both while messages are in flight (0), so they are returned once the heartbeat expires', async () => {
    const { client, keys } = state;
    await heartbeat('beat');
    await client.lpush(keys.inflight('c1'), ...elements(1));
    await expect(heartbeat('leave')).resolves.toBe(0);
    await expect(client.exists(keys.heartbeat('c1'))).resolves.toBe(1);
    await expect(client.hget(keys.consumers, 'c1')).resolves.toBe(keys.list);
  });

  it('leave: never unregisters a consumer registered for another list key', async () => {
    const { client, keys } = state;
    await client.hset(keys.consumers, 'c1', 'queue:other');
    await expect(heartbeat('leave')).resolves.toBe(1);
    await expect(client.hget(keys.consumers, 'c1')).resolves.toBe('queue:other');
  });
});
