import { useValkey } from '../utils/use-valkey.js';
import { idOf, listElement, oldestFirst } from '../workers/list-test-kit.js';
import { envelopeFields } from '../workers/worker-test-kit.js';
import { useListScripts } from './list-lua-kit.js';

describe('redrive-list.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useListScripts(() => valkey().url);
  const redrive = (entries: [entryId: string, element: string][]) =>
    state.client.vqRedriveList(
      3 + entries.length,
      state.keys.dead,
      state.keys.list,
      state.keys.stats,
      ...entries.map(([, element]) => state.keys.done(idOf(element))),
      ...entries.flat(),
    );
  const deadLetter = async (element: string): Promise<string> =>
    (await state.client.xadd(
      state.keys.dead,
      '*',
      ...envelopeFields('1', { id: idOf(element) }),
      'reason',
      'dead',
    ))!;

  it('pushes each element at the tail, deletes its dead letter and marker, and counts it', async () => {
    const { client, keys } = state;
    const waiting = listElement('0');
    const [a, b] = [listElement('1'), listElement('2')];
    await client.lpush(keys.list, waiting);
    const [entryA, entryB] = [await deadLetter(a), await deadLetter(b)];
    await client.set(keys.done(idOf(a)), '1');
    await expect(
      redrive([
        [entryA, a],
        [entryB, b],
      ]),
    ).resolves.toEqual([1, 1]);
    await expect(oldestFirst(client, keys.list)).resolves.toEqual([waiting, a, b]);
    await expect(client.xlen(keys.dead)).resolves.toBe(0);
    await expect(client.exists(keys.done(idOf(a)))).resolves.toBe(0);
    await expect(client.hget(keys.stats, 'redriven')).resolves.toBe('2');
  });

  it('moves an entry once: a second redrive of the same entry (another admin) finds it gone (0)', async () => {
    const { client, keys } = state;
    const a = listElement('1');
    const entry = await deadLetter(a);
    await expect(redrive([[entry, a]])).resolves.toEqual([1]);
    await expect(redrive([[entry, a]])).resolves.toEqual([0]);
    await expect(client.llen(keys.list)).resolves.toBe(1);
    await expect(client.hget(keys.stats, 'redriven')).resolves.toBe('1');
  });
});
