import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import type { PayloadCodec } from '../codec/payload-codec.interface.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import type { DtoClass } from '../interfaces/worker-options.interface.js';

/** Decodes a payload, or throws `InvalidPayloadError`. Synchronous when no DTO is set. @internal */
export type PayloadDecoder = (text: string) => unknown;

/**
 * The codec's decode (JSON.parse by default), then, with a DTO, class-transformer +
 * class-validator. Without a DTO nothing else runs: class-transformer is skipped on that path.
 * @internal
 */
export function payloadDecoder(codec: PayloadCodec, dto?: DtoClass): PayloadDecoder {
  const decode = (text: string): unknown => {
    try {
      return codec.decode(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidPayloadError(`the payload cannot be decoded (${reason})`, [], { cause: error });
    }
  };
  if (!dto) return decode;
  return async (text: string) => {
    const plain = decode(text);
    if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
      throw new InvalidPayloadError(`the payload must be a JSON object for ${dto.name}`);
    }
    const instance = plainToInstance(dto, plain) as object;
    const errors = await validate(instance, { forbidUnknownValues: true });
    if (errors.length > 0) {
      throw new InvalidPayloadError(
        `the payload fails ${dto.name} validation`,
        errors.flatMap((error) => describe(error)),
      );
    }
    return instance;
  };
}

function describe(error: ValidationError, parent = ''): string[] {
  const path = parent ? `${parent}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((message) => `${path}: ${message}`);
  return [...own, ...(error.children ?? []).flatMap((child) => describe(child, path))];
}
