import 'reflect-metadata';
import { IsInt, IsString, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { JSON_CODEC } from '../codec/json.codec.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { payloadDecoder } from './payload-decoder.js';

class LineDto {
  @IsString() sku!: string;
}
class OrderDto {
  @IsInt() @Min(1) orderId!: number;
  @ValidateNested({ each: true }) @Type(() => LineDto) lines!: LineDto[];
  total(): number {
    return this.orderId;
  }
}

describe('payloadDecoder', () => {
  it('without a DTO, decodes synchronously with the codec', () => {
    const decode = payloadDecoder(JSON_CODEC);
    expect(decode('{"list":[],"n":1}')).toEqual({ list: [], n: 1 });
    expect(() => decode('{oops')).toThrow(InvalidPayloadError);
    expect(() => decode('{oops')).toThrow(/the payload cannot be decoded/);
  });

  it('uses a custom codec, and wraps its failures', () => {
    const raw = payloadDecoder({ encode: String, decode: (text) => `raw:${text}` });
    expect(raw('9007199254740993')).toBe('raw:9007199254740993');
    const failing = payloadDecoder({
      encode: String,
      decode: () => {
        throw new Error('codec says no');
      },
    });
    expect(() => failing('x')).toThrow(/codec says no/);
  });

  it('with a DTO, returns a validated instance', async () => {
    const decode = payloadDecoder(JSON_CODEC, OrderDto);
    const order = (await decode('{"orderId":3,"lines":[{"sku":"a"}]}')) as OrderDto;
    expect(order).toBeInstanceOf(OrderDto);
    expect(order.lines[0]).toBeInstanceOf(LineDto);
    expect(order.total()).toBe(3);
  });

  it('with a DTO, lists every failed constraint with its path', async () => {
    const decode = payloadDecoder(JSON_CODEC, OrderDto);
    const failure = await Promise.resolve(decode('{"orderId":0,"lines":[{"sku":5}]}')).catch(
      (error) => error,
    );
    expect(failure).toBeInstanceOf(InvalidPayloadError);
    expect((failure as InvalidPayloadError).details).toEqual([
      'orderId: orderId must not be less than 1',
      'lines.0.sku: sku must be a string',
    ]);
  });

  it('with a DTO, refuses payloads that are not objects', async () => {
    const decode = payloadDecoder(JSON_CODEC, OrderDto);
    await expect(Promise.resolve().then(() => decode('[1]'))).rejects.toThrow(
      /must be a JSON object for OrderDto/,
    );
    await expect(Promise.resolve().then(() => decode('7'))).rejects.toThrow(InvalidPayloadError);
  });
});
