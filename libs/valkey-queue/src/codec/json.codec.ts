import type { PayloadCodec } from './payload-codec.interface.js';

/**
 * The default codec: `JSON.stringify` / `JSON.parse`. Values JSON cannot represent faithfully are
 * refused rather than silently changed: a circular structure or a BigInt throws, and `undefined`,
 * functions and symbols (which JSON.stringify drops) are refused at the top level.
 */
export const JSON_CODEC: PayloadCodec = Object.freeze({
  encode(value: unknown): string {
    const text: string | undefined = JSON.stringify(value);
    if (typeof text !== 'string') throw new TypeError(`${typeof value} has no JSON representation`);
    return text;
  },
  decode(text: string): unknown {
    return JSON.parse(text);
  },
});
