import { hexOfWords, randomSpanId } from './random-ids.js';

describe('random ids', () => {
  it('write two 32-bit words as 16 lowercase hex digits, big-endian', () => {
    for (const [high, low] of [
      [0, 1],
      [0xffffffff, 0],
      [0x0af76519, 0x16cd43dd],
      [0x80000000, 0x7fffffff],
    ]) {
      expect(hexOfWords(high, low)).toBe(
        high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0'),
      );
    }
  });

  it('draw valid, distinct span ids', () => {
    const ids = new Set(Array.from({ length: 1_000 }, randomSpanId));
    expect(ids.size).toBe(1_000);
    for (const id of ids) expect(id).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
  });
});
