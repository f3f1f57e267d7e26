/**
 * Turns payloads into the text stored in the envelope's `payload` field, and back. The text is
 * stored and copied verbatim (never re-encoded in Lua), so whatever `encode` returns is exactly
 * what a consumer's `decode` receives.
 *
 * @example
 * // Keep exact big integers: send pre-encoded JSON text as is.
 * const rawJson: PayloadCodec = { encode: (text) => String(text), decode: (text) => text };
 */
export interface PayloadCodec {
  /** Encodes a payload. Throw (or return a non-string) for values it cannot represent. */
  encode(value: unknown): string;
  /** Decodes what `encode` produced. */
  decode(text: string): unknown;
}
