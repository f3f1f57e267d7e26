import { useValkey } from '../utils/use-valkey.js';
import { lbsWithGroup, useScripts } from './lua-kit.js';

describe('lbs-dead-letter.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url, lbsWithGroup);

  const deadLetter = (id: string, reason: string) =>
    state.client.vqLbsDeadLetter(state.keys.lbs, state.keys.lbsDead, state.keys.service, id, reason, 1_000);

  it('returns 1: copies the fields verbatim with the reason, then acks and deletes the entry', async () => {
    const { client, keys } = state;
    const { service } = keys;
    const id = (await client.xadd(keys.lbs, '*', 'stream', '', 'info', '[1,{}]')) as string;
    await client.xreadgroup('GROUP', service, 'c1', 'STREAMS', keys.lbs, '>');
    await expect(deadLetter(id, 'it must not be empty')).resolves.toBe(1);
    const [[, fields]] = await client.xrange(keys.lbsDead, '-', '+');
    expect(fields.slice(0, 8)).toEqual([
      'stream',
      '',
      'info',
      '[1,{}]',
      'reason',
      'it must not be empty',
      'sourceId',
      id,
    ]);
    expect(fields[8]).toBe('failedAt');
    expect(Math.abs(Number(fields[9]) - Date.now())).toBeLessThan(60_000);
    await expect(client.xlen(keys.lbs)).resolves.toBe(0);
    await expect(client.xpending(keys.lbs, service)).resolves.toEqual([0, null, null, null]);
  });

  it('returns 0 for an entry already gone, acknowledging its pending record', async () => {
    const { client, keys } = state;
    const { service } = keys;
    const id = (await client.xadd(keys.lbs, '*', 'x', 'y')) as string;
    await client.xreadgroup('GROUP', service, 'c1', 'STREAMS', keys.lbs, '>');
    await client.xdel(keys.lbs, id);
    await expect(deadLetter(id, 'no stream')).resolves.toBe(0);
    await expect(client.exists(keys.lbsDead)).resolves.toBe(0);
    await expect(client.xpending(keys.lbs, service)).resolves.toEqual([0, null, null, null]);
  });
});
