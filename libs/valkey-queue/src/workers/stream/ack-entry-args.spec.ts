import { ackEntryArgs } from './ack-entry-args.js';

describe('ackEntryArgs', () => {
  const fields = ['id', 'm1', 'payload', '{"a":1}', 'attempt', '2', 'labels', '{"t":"é"}', 'priority', '3'];

  it('is the entry ids alone without history', () => {
    expect(ackEntryArgs([{ entryId: '1-0', id: 'm1', raw: { fields } }], false)).toEqual(['1-0']);
  });

  it("passes each entry's event fields as read, the payload left out", () => {
    expect(
      ackEntryArgs(
        [
          { entryId: '1-0', id: 'm1', raw: { fields } },
          { entryId: '2-0', id: 'm2', raw: { fields: ['id', 'm2', 'payload', '1'] } },
        ],
        true,
      ),
    ).toEqual([
      '1-0',
      '8',
      'id',
      'm1',
      'attempt',
      '2',
      'labels',
      '{"t":"é"}',
      'priority',
      '3',
      '2-0',
      '2',
      'id',
      'm2',
    ]);
  });

  it('leaves the fields to the script (-1) when they are not at hand or not the stored bytes', () => {
    expect(
      ackEntryArgs(
        [
          { entryId: '1-0', id: 'm1' },
          { entryId: '2-0', id: '', raw: { fields: ['id', '\uFFFD'], invalid: 'not UTF-8' } },
        ],
        true,
      ),
    ).toEqual(['1-0', '-1', '2-0', '-1']);
  });
});
