import { encodeDelayedBody } from '../envelope/delayed-body.js';
import { toListElement, toStreamFields } from '../envelope/envelope.js';
import { Command } from 'ioredis';
import { queueKeys } from '../utils/keys.util.js';
import { buildSendCall, isRetry, markAsRetry, type SendCallSettings } from './build-send-call.js';
import { encodePlainXadd } from './plain-send.js';

const keys = queueKeys('vq', 'orders');
const settings = (overrides: Partial<SendCallSettings> = {}): SendCallSettings => ({
  transport: 'stream',
  keys,
  target: keys.stream,
  queue: 'orders',
  listFormat: 'envelope',
  idempotencyWindow: 60_000,
  dedupTtl: 3_600_000,
  trim: '',
  trimValue: 0,
  headers: {},
  ...overrides,
});
const CREATED = 1_700_000_000_000;

describe('buildSendCall', () => {
  it('builds stream fields exactly as the envelope module writes them, one array per message', () => {
    const call = buildSendCall(settings(), ['{"a":1}', '[]'], {}, CREATED);

    expect(call.mode).toBe('stream');
    expect(call.envelopes).toHaveLength(2);
    const [first, second] = call.envelopes;
    expect(first).toEqual({
      id: expect.any(String),
      payload: '{"a":1}',
      headers: {},
      createdAt: CREATED,
      attempt: 1,
    });
    expect(call.args).toEqual([
      keys.stream,
      keys.delayed,
      keys.delayedBodies,
      keys.sent(first.id),
      keys.sent(first.id),
      'stream',
      60_000,
      0,
      first.id,
      '',
      0,
      '',
      '',
      12,
      0,
      toStreamFields(first),
      toStreamFields(second),
    ]);
  });

  it('builds a lone plain send as the bare XADD of the same fields, its script form on demand', () => {
    for (const [defaults, own] of [
      [{}, undefined],
      [{ app: 'a' }, undefined],
      [
        { app: 'a', env: 'dev' },
        { env: 'prod', traceparent: '00-1-2-01' },
      ],
    ] as [Record<string, string>, Record<string, string> | undefined][]) {
      const call = buildSendCall(
        settings({ headers: Object.freeze({ ...defaults }) }),
        ['{"a":1}'],
        own ? { headers: own } : {},
        CREATED,
      );
      const [envelope] = call.envelopes;
      expect(envelope).toEqual({
        id: expect.any(String),
        payload: '{"a":1}',
        headers: { ...defaults, ...own },
        createdAt: CREATED,
        attempt: 1,
      });
      expect(call.plain).toEqual({
        xadd: [keys.stream, '*', ...toStreamFields(envelope)],
        id: envelope.id,
        keys,
        exactlyOnce: true,
        envelopeHead: expect.any(String),
      });
      expect(isRetry(call)).toBe(false);
      expect(call.shareable).toEqual({
        target: keys.stream,
        mode: 'stream',
        marker: keys.sent(envelope.id),
        markerTtl: 60_000,
        trim: '',
        trimValue: 0,
        width: 12,
        data: toStreamFields(envelope),
      });
      expect(call.args).toEqual([
        keys.stream,
        keys.delayed,
        keys.delayedBodies,
        keys.sent(envelope.id),
        keys.sent(envelope.id),
        'stream',
        60_000,
        0,
        envelope.id,
        '',
        0,
        '',
        '',
        12,
        0,
        toStreamFields(envelope),
      ]);
      markAsRetry(call);
      expect(isRetry(call)).toBe(true);
      expect(call.args[14]).toBe(1);
    }
    expect(buildSendCall(settings({ idempotencyWindow: 0 }), ['1'], {}, CREATED).plain?.exactlyOnce).toBe(
      false,
    );
  });

  it("writes a plain send's XADD as the very bytes ioredis would", () => {
    const cases: [Partial<SendCallSettings>, string, Record<string, string> | undefined, number][] = [
      [{}, '{"a":1}', undefined, CREATED],
      [{ headers: Object.freeze({ app: 'café' }) }, '"naïve ☕ 🚀"', undefined, 0],
      [{ target: '{vq:commandes-é}:stream' }, '', { traceparent: '00-ab-cd-01' }, 9],
      [{}, 'x'.repeat(70_000), { ключ: 'значение' }, 12_345_678_901_234],
    ];
    for (const [overrides, payload, own, createdAt] of cases) {
      const call = buildSendCall(settings(overrides), [payload], own ? { headers: own } : {}, createdAt);
      const ioredis = new Command('xadd', call.plain!.xadd).toWritable(undefined as never);
      expect(encodePlainXadd(call.plain!)).toBe(ioredis);
    }
    // Other fields: no prepared head, ioredis encodes it.
    const labelled = buildSendCall(settings(), ['1'], { labels: { tier: 'gold' } }, CREATED);
    expect(labelled.plain).toBeDefined();
    expect(encodePlainXadd(labelled.plain!)).toBeUndefined();
  });

  it('shares headers, expiry and dedup key across the call and writes its marker beside the dedup key', () => {
    const call = buildSendCall(
      settings({ headers: { app: 'a', env: 'dev' }, ttl: 1_000 }),
      ['1'],
      { headers: { env: 'prod' }, dedupKey: 'order-1', dedupTtl: 5_000 },
      CREATED,
    );

    const [envelope] = call.envelopes;
    expect(envelope).toMatchObject({
      headers: { app: 'a', env: 'prod' },
      expiresAt: CREATED + 1_000,
      dedupKey: 'order-1',
    });
    expect(call.args.slice(3, 9)).toEqual([
      keys.sent(envelope.id),
      keys.dedup('order-1'),
      'stream',
      60_000,
      5_000,
      envelope.id,
    ]);
  });

  it('lets a send ttl win over the sender default', () => {
    const call = buildSendCall(settings({ ttl: 1_000 }), ['1'], { ttl: 50 }, CREATED);
    expect(call.envelopes[0].expiresAt).toBe(CREATED + 50);
  });

  it('writes list elements for the list transport', () => {
    const call = buildSendCall(settings({ transport: 'list', target: keys.list }), ['1'], {}, CREATED);

    expect(call.mode).toBe('list');
    expect(call.args[0]).toBe(keys.list);
    expect(call.args[13]).toBe(1);
    expect(call.args[15]).toBe(toListElement(call.envelopes[0]));
  });

  it('parks delayed messages as [id, body] with the body the promoter appends', () => {
    const stream = buildSendCall(settings(), ['1'], { delay: 500 }, CREATED);
    const [envelope] = stream.envelopes;
    expect(stream.mode).toBe('delayed');
    expect(stream.args.slice(11)).toEqual([
      '',
      500,
      2,
      0,
      [envelope.id, encodeDelayedBody(toStreamFields(envelope))],
    ]);

    const list = buildSendCall(
      settings({ transport: 'list', target: keys.list }),
      ['1'],
      { dueAt: CREATED + 9 },
      CREATED,
    );
    expect(list.args.slice(11)).toEqual([
      CREATED + 9,
      '',
      2,
      0,
      [list.envelopes[0].id, toListElement(list.envelopes[0])],
    ]);
  });

  it('marks a call as a retry, so that send.lua checks its marker', () => {
    const call = buildSendCall(settings(), ['1'], {}, CREATED);

    markAsRetry(call);

    expect(call.args[14]).toBe(1);
    expect(call.args[15]).toEqual(toStreamFields(call.envelopes[0]));
  });

  it('passes trimming only to stream appends', () => {
    expect(
      buildSendCall(settings({ trim: 'MAXLEN', trimValue: 10 }), ['1'], {}, CREATED).args.slice(9, 11),
    ).toEqual(['MAXLEN', 10]);
    expect(
      buildSendCall(settings({ trim: 'MAXLEN', trimValue: 10 }), ['1'], { delay: 5 }, CREATED).args[9],
    ).toBe('');
  });
});

describe('buildSendCall with listFormat valkeysender', () => {
  it('pushes valkeysender elements, also as the body of a delayed list message', () => {
    const list = settings({ transport: 'list', target: keys.list, listFormat: 'valkeysender' });
    const now = buildSendCall(list, ['{"a":1}'], { ttl: 5_000 }, CREATED);
    const later = buildSendCall(list, ['{"a":1}'], { delay: 1_000 }, CREATED);

    const element = JSON.parse(now.args[15] as string) as Record<string, unknown>;
    expect(element).toMatchObject({
      id: now.envelopes[0].id,
      queue: 'orders',
      payload: Buffer.from('{"a":1}').toString('base64'),
      ttl: 5_000_000_000,
      retries: 0,
    });
    const [id, body] = later.args[15] as string[];
    expect(id).toBe(later.envelopes[0].id);
    expect(JSON.parse(body)).toMatchObject({ id, queue: 'orders', retries: 0 });
  });
});
