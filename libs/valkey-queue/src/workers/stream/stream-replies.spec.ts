import { isMissingGroup, streamEntries, toDelivery } from './stream-replies.js';

describe('stream replies', () => {
  const entries = [['1-0', ['v', '1']]];

  it('reads XREADGROUP replies in RESP3 and RESP2 shape, and timeouts', () => {
    expect(streamEntries(['{vq:q}:stream', entries])).toEqual(entries);
    expect(streamEntries([['{vq:q}:stream', entries]])).toEqual(entries);
    expect(streamEntries(null)).toEqual([]);
    expect(streamEntries([])).toEqual([]);
  });

  it('recognises a vanished group or stream', () => {
    expect(isMissingGroup(new Error("NOGROUP No such key 's' or consumer group 'g'"))).toBe(true);
    expect(isMissingGroup(new Error('UNBLOCKED the stream key no longer exists'))).toBe(true);
    expect(isMissingGroup(new Error('ERR connection reset'))).toBe(false);
  });

  it('turns claimed entries into deliveries', () => {
    expect(toDelivery(['1-0', ['a', 'b'], 3])).toEqual({ entryId: '1-0', fields: ['a', 'b'], deliveries: 3 });
  });
});
