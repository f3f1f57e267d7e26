import { parseHistoryEntry } from './history-event.js';
import { placeStarted } from './history-query.js';

describe('parseHistoryEntry', () => {
  it('reads the event, its time from the entry id, attempt, labels and error', () => {
    expect(
      parseHistoryEntry('1700000000123-4', [
        'e',
        'dead',
        'id',
        'm1',
        'attempt',
        '3',
        'attempts',
        '3',
        'labels',
        '{"a":"b"}',
        'error',
        'boom',
      ]),
    ).toEqual({
      eventId: '1700000000123-4',
      atMs: 1700000000123,
      messageId: 'm1',
      type: 'dead',
      attempt: 3,
      error: 'boom',
      labels: { a: 'b' },
      priority: undefined,
      detail: undefined,
      payload: undefined,
    });
  });

  it('puts a duplicate on the timeline of the message it matched', () => {
    expect(parseHistoryEntry('1-0', ['e', 'deduplicated', 'id', 'dup', 'of', 'first'])).toMatchObject({
      messageId: 'first',
      detail: { duplicateId: 'dup' },
    });
  });

  it('keeps a broken entry raw fields, byte lengths counted in UTF-8, and names one without an id by its entry', () => {
    const raw = '1:v1:17:payload6:{bad\u00e9'; // é is 2 bytes
    expect(
      parseHistoryEntry('2-0', ['e', 'broken', 'source', '9-1', 'raw', raw, 'error', 'bad']),
    ).toMatchObject({
      messageId: 'entry:9-1',
      detail: { sourceId: '9-1', raw: { v: '1', payload: '{bad\u00e9' } },
    });
    expect(parseHistoryEntry('2-0', ['e', 'broken', 'source', '9-1', 'raw', '99:x'])).toMatchObject({
      detail: { raw: { body: '99:x' } },
    });
  });

  it('ignores entries that are no events, and labels that are no object', () => {
    expect(parseHistoryEntry('1-0', ['id', 'm1'])).toBeUndefined();
    expect(parseHistoryEntry('1-0', ['e', 'sent'])).toBeUndefined();
    expect(parseHistoryEntry('1-0', ['e', 'sent', 'id', 'm', 'labels', '[1]'])?.labels).toBeUndefined();
  });
});

describe('placeStarted', () => {
  const event = (type: string, attempt: number | null = null) => ({ type, attempt });

  it('moves a late started event after the event that made its attempt available', () => {
    const stream = [event('sent', 1), event('succeeded', 1), event('started', 1)];
    expect(placeStarted(stream).map((e) => e.type)).toEqual(['sent', 'started', 'succeeded']);
    const retried = [
      event('sent', 1),
      event('retried'),
      event('started', 1),
      event('promoted', 2),
      event('dead', 2),
      event('started', 2),
    ];
    expect(placeStarted(retried).map((e) => e.type)).toEqual([
      'sent',
      'started',
      'retried',
      'promoted',
      'started',
      'dead',
    ]);
  });

  it('keeps redeliveries of one attempt in order, and started events it cannot place where they are', () => {
    const redelivered = [event('sent', 1), event('started', 1), event('started', 1), event('succeeded', 1)];
    expect(placeStarted(redelivered)).toEqual(redelivered);
    expect(placeStarted([event('started', 4), event('succeeded', 4)]).map((e) => e.type)).toEqual([
      'started',
      'succeeded',
    ]);
  });
});
