import { ackEntryArgs } from './ack-entry-args.js';

describe('ackEntryArgs', () => {
  const fields = ['id', 'm1', 'payload', '{"a":1}', 'attempt', '2', 'labels', '{"t":"é"}', 'priority', '3'];

  it('is the entry ids alone without history', () => {
    expect(ackEntryArgs([{ entryId: '1-0', id: 'm1', raw: { fields } }], false)).toEqual(['1-0']);
  });

  it("passes the entries' succeeded events as one many list of the fields as read, the payload left out", () => {
    expect(
      ackEntryArgs(
        [
          { entryId: '1-0', id: 'm1', raw: { fields } },
          { entryId: '2-0', id: 'm2', raw: { fields: ['id', 'm2', 'payload', '1'] } },
        ],
        true,
      ),
    ).toEqual([
      JSON.stringify([
        ['m1', '2', '{"t":"é"}', '3'],
        ['m2', '', '', ''],
      ]),
      '0',
      '1-0',
      '2-0',
    ]);
  });

  it('leaves the entries to the script, listed first, when their fields are not at hand or not the stored bytes', () => {
    expect(
      ackEntryArgs(
        [
          { entryId: '1-0', id: 'm1', raw: { fields } },
          { entryId: '2-0', id: 'm2' },
          { entryId: '3-0', id: '', raw: { fields: ['id', '\uFFFD'], invalid: 'not UTF-8' } },
        ],
        true,
      ),
    ).toEqual([JSON.stringify([['m1', '2', '{"t":"é"}', '3']]), '2', '2-0', '3-0', '1-0']);
    expect(ackEntryArgs([{ entryId: '2-0', id: 'm2' }], true)).toEqual(['', '1', '2-0']);
  });
});
