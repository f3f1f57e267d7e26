import { InvalidAdminArgumentError } from '../errors/invalid-admin-argument.error.js';
import { parseDeadLetterPage, parseRedriveRequest } from './admin-input.js';

describe('admin input', () => {
  it('applies the defaults', () => {
    expect(parseDeadLetterPage(undefined)).toEqual({ count: 100 });
    expect(parseDeadLetterPage({})).toEqual({ count: 100 });
    expect(parseRedriveRequest(undefined)).toEqual({ count: 100 });
  });

  it('accepts counts from 1 to 1000 and entry-id cursors', () => {
    expect(parseDeadLetterPage({ count: 1, cursor: '1764143011123-0' })).toEqual({
      count: 1,
      cursor: '1764143011123-0',
    });
    expect(parseDeadLetterPage({ count: 1000, cursor: '17' })).toEqual({ count: 1000, cursor: '17' });
    expect(parseDeadLetterPage({ cursor: '18446744073709551615-18446744073709551615' }).cursor).toBeDefined();
  });

  it('deduplicates ids and defaults count to their number', () => {
    expect(parseRedriveRequest({ ids: ['a', 'b', 'a'] })).toEqual({ count: 2, ids: ['a', 'b'] });
    expect(parseRedriveRequest({ ids: ['a', 'b'], count: 1 })).toEqual({ count: 1, ids: ['a', 'b'] });
    expect(parseRedriveRequest({ ids: [] })).toEqual({ count: 1, ids: [] });
  });

  it('passes an explicit redrive transport through', () => {
    expect(parseRedriveRequest({ transport: 'list' })).toEqual({ count: 100, transport: 'list' });
    expect(parseRedriveRequest({ ids: ['a'], transport: 'stream' })).toEqual({
      count: 1,
      ids: ['a'],
      transport: 'stream',
    });
  });

  it('passes label filters through as copies, and drops an empty one', () => {
    const labels = { tenant: 'acme' };
    const page = parseDeadLetterPage({ labels });
    expect(page).toEqual({ count: 100, labels });
    expect(page.labels).not.toBe(labels);
    expect(parseRedriveRequest({ labels, ids: ['a'] })).toEqual({ count: 1, ids: ['a'], labels });
    expect(parseRedriveRequest({ labels: {} })).toEqual({ count: 100 });
  });

  it.each([
    [{ labels: 'acme' }, 'labels'],
    [{ labels: { Tenant: 'acme' } }, 'labels'],
    [{ labels: { tenant: 1 } }, 'labels.tenant'],
  ])('rejects label filters %j in both calls', (options, argument) => {
    expect(() => parseDeadLetterPage(options as never)).toThrow(expect.objectContaining({ argument }));
    expect(() => parseRedriveRequest(options as never)).toThrow(expect.objectContaining({ argument }));
  });

  it.each([
    [{ count: 0 }, 'count'],
    [{ count: 1001 }, 'count'],
    [{ count: 2.5 }, 'count'],
    [{ cursor: '1-x' }, 'cursor'],
    [{ cursor: '99999999999999999999' }, 'cursor'],
    [null, 'options'],
  ])('rejects dead-letter options %j', (options, argument) => {
    const parse = () => parseDeadLetterPage(options as never);
    expect(parse).toThrow(InvalidAdminArgumentError);
    expect(parse).toThrow(expect.objectContaining({ argument, code: 'VQ_INVALID_ADMIN_ARGUMENT' }));
  });

  it.each([
    [{ ids: 'a' }, 'ids'],
    [{ ids: [1] }, 'ids'],
    [{ ids: ['ok', ''] }, 'ids'],
    [{ ids: ['a'], count: -3 }, 'count'],
    [{ transport: 'kafka' }, 'transport'],
  ])('rejects redrive options %j', (options, argument) => {
    expect(() => parseRedriveRequest(options as never)).toThrow(expect.objectContaining({ argument }));
  });
});
