import { BadRequestException } from '@nestjs/common';
import { parseCursor, parseFilter, parseLimit, parseSelection } from './dashboard-input.js';

/** The `field` of the 400 a parse throws. */
function fieldOf(parse: () => unknown): string | undefined {
  try {
    parse();
  } catch (error) {
    if (error instanceof BadRequestException) return (error.getResponse() as { field: string }).field;
    throw error;
  }
  return undefined;
}

describe('dashboard input', () => {
  it('reads limits, cursors and filters', () => {
    expect(parseLimit(undefined, 50, 500)).toBe(50);
    expect(parseLimit('10', 50, 500)).toBe(10);
    expect(parseCursor('1-2', 'entry')).toBe('1-2');
    expect(parseCursor('12', 'position')).toBe('12');
    expect(
      parseFilter({ reason: 'dead', text: 'x', from: '1000', 'label.tenant': 'acme', limit: '5' }),
    ).toEqual({
      reason: 'dead',
      text: 'x',
      from: new Date(1000),
      labels: { tenant: 'acme' },
    });
    expect(parseSelection({ filter: { labels: { tenant: 'acme' } } })).toEqual({
      filter: { labels: { tenant: 'acme' } },
    });
  });

  it('names the parameter at fault', () => {
    expect(fieldOf(() => parseLimit('0', 50, 500))).toBe('limit');
    expect(fieldOf(() => parseLimit('501', 50, 500))).toBe('limit');
    expect(fieldOf(() => parseCursor('1', 'entry'))).toBe('cursor');
    expect(fieldOf(() => parseCursor('a b', 'queue'))).toBe('queue');
    expect(fieldOf(() => parseFilter({ 'label.Bad Key': 'x' }))).toBe('label.Bad Key');
    expect(fieldOf(() => parseFilter({ 'label.k': ['a', 'b'] }))).toBe('label.k');
    expect(fieldOf(() => parseFilter({ to: 'soon' }))).toBe('to');
    expect(fieldOf(() => parseSelection([]))).toBe('body');
    expect(fieldOf(() => parseSelection({ ids: Array.from({ length: 1001 }, () => 'x') }))).toBe('ids');
    expect(fieldOf(() => parseSelection({ filter: { labels: { k: 1 } } }))).toBe('filter.label.k');
  });
});
