import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7, validate, version } from 'uuid';
import { formatMessageId, newMessageId } from './message-id.js';

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

  it('formats ids byte for byte as uuid v7 does from the same time, counter and random bytes', () => {
    const counters = [0, 1, 0x7ffff, 0x80000, 0x7fffffff, -0x80000000, -1];
    const times = [0, 1, 0xff, 1_700_000_000_000, 2 ** 48 - 1];
    let checked = 0;
    for (const msecs of times) {
      for (const seq of [...counters, randomBytes(4).readInt32BE()]) {
        const random = new Uint8Array(randomBytes(32));
        for (const offset of [0, 16]) {
          const bytes = random.subarray(offset, offset + 16);
          expect(formatMessageId(msecs, seq, random, offset)).toBe(uuidv7({ msecs, seq, random: bytes }));
          checked++;
        }
      }
    }
    expect(checked).toBe(times.length * (counters.length + 1) * 2);
  });
});
