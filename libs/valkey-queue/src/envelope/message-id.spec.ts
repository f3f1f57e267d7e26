import { jest } from '@jest/globals';
import { validate, version } from 'uuid';
import { newMessageId } from './message-id.js';

/** The creation time a UUIDv7 carries in its first 48 bits. */
const msecsOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('newMessageId', () => {
  it('makes valid version-7 UUIDs that carry their creation time', () => {
    const before = Date.now();
    const id = newMessageId();
    const after = Date.now();
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(7);
    expect(msecsOf(id)).toBeGreaterThanOrEqual(before);
    expect(msecsOf(id)).toBeLessThanOrEqual(after + 1);
  });

  it('sorts ids in the order they were made, also within one millisecond and across entropy draws', () => {
    // 5 000 ids span many entropy draws (256 ids each) and many ids per millisecond.
    const ids = Array.from({ length: 5_000 }, () => newMessageId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps ids in order when the clock steps back', () => {
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(now + 60_000);
      const later = newMessageId();
      clock.mockReturnValue(now);
      const afterStepBack = newMessageId();
      expect(afterStepBack > later).toBe(true);
    } finally {
      clock.mockRestore();
    }
  });

  it('gives different random bits to ids of different draws', () => {
    const ids = Array.from({ length: 600 }, () => newMessageId());
    const tails = new Set(ids.map((id) => id.slice(-12)));
    expect(tails.size).toBe(ids.length);
  });
});
