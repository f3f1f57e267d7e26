import { envelopeFields } from '../utils/delayed.js';
import { useValkey } from '../utils/use-valkey.js';
import { useScripts } from './lua-kit.js';

/** A payload that JSON round-trips would alter: [] vs {}, a 2^53+1 integer, a slash. */
const TRICKY = '{"list":[],"map":{},"big":9007199254740993,"path":"a/b"}';

describe('send-retry.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url);
  const key = (suffix: string): string => `${state.keys.tag}:${suffix}`;

  /** The retry of a bare XADD of `id`, looking back `windowMs`, `budget` entries per call. */
  const retry = (id: string, { windowMs = 60_000, cursor = '', budget = 1_000, pastTrimHorizon = 0 } = {}) =>
    state.client.vqSendRetry(
      key('stream'),
      key(`done:${id}`),
      key('delayed'),
      id,
      windowMs,
      cursor,
      budget,
      pastTrimHorizon,
      ...envelopeFields(id, TRICKY),
    );
  const others = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let index = 0; index < count; index++)
      ids.push((await state.client.xadd(key('stream'), '*', ...envelopeFields(`other-${index}`, '1')))!);
    return ids;
  };
  const entryIds = async (): Promise<string[]> =>
    (await state.client.xrange(key('stream'), '-', '+')).map(([, fields]) => fields[3]);

  it('appends the message verbatim when the first attempt did not land', async () => {
    await others(3);

    await expect(retry('id-1')).resolves.toEqual([0]);

    const entries = await state.client.xrange(key('stream'), '-', '+');
    expect(entries).toHaveLength(4);
    expect(entries[3][1]).toEqual(
      envelopeFields('id-1', TRICKY).map((value, index) => (index === 9 ? expect.any(String) : value)),
    );
  });

  it('appends to a stream that does not exist yet', async () => {
    await expect(retry('id-1')).resolves.toEqual([0]);
    await expect(entryIds()).resolves.toEqual(['id-1']);
  });

  it('writes nothing when the first attempt landed, even with later entries after it', async () => {
    await others(2);
    await state.client.xadd(key('stream'), '*', ...envelopeFields('id-1', TRICKY));
    await others(2);

    await expect(retry('id-1')).resolves.toEqual([2]);
    await expect(state.client.xlen(key('stream'))).resolves.toBe(5);
  });

  it('reads at most its budget per call and goes on from the cursor it returns', async () => {
    const ids = await others(5);
    await state.client.xadd(key('stream'), '*', ...envelopeFields('id-1', TRICKY));

    await expect(retry('id-1', { budget: 2 })).resolves.toEqual([4, ids[1]]);
    await expect(retry('id-1', { budget: 2, cursor: ids[1] })).resolves.toEqual([4, ids[3]]);
    await expect(retry('id-1', { budget: 2, cursor: ids[3] })).resolves.toEqual([2]);
    await expect(state.client.xlen(key('stream'))).resolves.toBe(6);
  });

  it('appends once the cursor reaches the end without finding the message', async () => {
    const ids = await others(4);

    await expect(retry('id-1', { budget: 4 })).resolves.toEqual([4, ids[3]]);
    await expect(retry('id-1', { budget: 4, cursor: ids[3] })).resolves.toEqual([0]);
    await expect(entryIds()).resolves.toEqual(['other-0', 'other-1', 'other-2', 'other-3', 'id-1']);
  });

  it('looks only at entries of the window: an older entry with the id is not its first attempt', async () => {
    await state.client.xadd(key('stream'), '1000-0', ...envelopeFields('id-1', TRICKY));

    await expect(retry('id-1', { windowMs: 60_000 })).resolves.toEqual([0]);
    await expect(state.client.xlen(key('stream'))).resolves.toBe(2);
  });

  it('writes nothing and answers unknown when an entry of the window was deleted', async () => {
    const [first] = await others(2);
    await state.client.xdel(key('stream'), first);

    await expect(retry('id-1')).resolves.toEqual([3]);
    await expect(entryIds()).resolves.toEqual(['other-1']);
  });

  it('answers unknown when the window reaches past the trim horizon and the stream starts inside it', async () => {
    await others(3);
    await state.client.xtrim(key('stream'), 'MAXLEN', 1);

    await expect(retry('id-1', { pastTrimHorizon: 1 })).resolves.toEqual([3]);
    await expect(state.client.xlen(key('stream'))).resolves.toBe(1);
  });

  it('within the trim horizon, trusts that nothing of the window was trimmed (only XDEL is seen)', async () => {
    await others(3);
    await state.client.xtrim(key('stream'), 'MAXLEN', 1);

    await expect(retry('id-1')).resolves.toEqual([0]);
  });

  it('past the trim horizon, appends when the stream starts before the window', async () => {
    await state.client.xadd(key('stream'), '1000-0', ...envelopeFields('old', '1'));
    await others(2);

    await expect(retry('id-1', { pastTrimHorizon: 1 })).resolves.toEqual([0]);
  });

  it('ignores deletions older than the window', async () => {
    await state.client.xadd(key('stream'), '1000-0', ...envelopeFields('old', '1'));
    await state.client.xdel(key('stream'), '1000-0');

    await expect(retry('id-1')).resolves.toEqual([0]);
    await expect(entryIds()).resolves.toEqual(['id-1']);
  });

  it("counts a worker's done marker or a scheduled retry as landed", async () => {
    await state.client.set(key('done:id-1'), '1', 'PX', 60_000);
    await state.client.zadd(key('delayed'), Date.now() + 60_000, 'id-2');

    await expect(retry('id-1')).resolves.toEqual([2]);
    await expect(retry('id-2')).resolves.toEqual([2]);
    await expect(state.client.exists(key('stream'))).resolves.toBe(0);
  });
});
