import { countHistoryEvents, eventOrder, parseHistoryEntries, parseHistoryEntry } from './history-event.js';
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

describe('parseHistoryEntries', () => {
  const packed = [
    'e',
    'succeeded',
    'id',
    'a',
    'attempt',
    '1',
    'e',
    'succeeded',
    'id',
    'b',
    'e',
    'started',
    'id',
    'c',
    'consumer',
    'w1',
  ];

  it('reads every event of a packed entry, each with its own id in stream order', () => {
    const events = parseHistoryEntries('1700000000123-4', packed);
    expect(events.map(({ eventId, messageId, type }) => [eventId, messageId, type])).toEqual([
      ['1700000000123-4', 'a', 'succeeded'],
      ['1700000000123-4.00001', 'b', 'succeeded'],
      ['1700000000123-4.00002', 'c', 'started'],
    ]);
    expect(events.map((event) => event.atMs)).toEqual([1700000000123, 1700000000123, 1700000000123]);
    expect(events[0].attempt).toBe(1);
    expect(events[1].attempt).toBeUndefined();
    expect(events[2].detail).toEqual({ consumer: 'w1' });
    const ids = events.map((event) => event.eventId);
    expect([...ids].sort()).toEqual(ids);
  });

  it('reads a single-event entry (format 1) as before: its id is the entry id', () => {
    expect(parseHistoryEntries('5-0', ['e', 'sent', 'id', 'm'])).toEqual([
      parseHistoryEntry('5-0', ['e', 'sent', 'id', 'm']),
    ]);
  });

  it("skips fields before the first event and events without a message, keeping the others' ids", () => {
    const events = parseHistoryEntries('5-0', ['x', 'y', 'e', 'sent', 'e', 'sent', 'id', 'm']);
    expect(events.map((event) => event.eventId)).toEqual(['5-0.00001']);
    expect(parseHistoryEntries('5-0', ['id', 'm'])).toEqual([]);
  });

  it('reads a many event (format 3) as one event per message listed, numbered on with the others', () => {
    const fields = [
      'e', 'started', 'consumer', 'w1', 'many', JSON.stringify([['a', '1'], ['b', '2', '{"t":"x"}', '4']]),
      'e', 'succeeded', 'id', 'c',
    ]; // prettier-ignore
    const events = parseHistoryEntries('9-0', fields);
    expect(
      events.map(({ eventId, messageId, type, attempt }) => [eventId, messageId, type, attempt]),
    ).toEqual([
      ['9-0', 'a', 'started', 1],
      ['9-0.00001', 'b', 'started', 2],
      ['9-0.00002', 'c', 'succeeded', undefined],
    ]);
    expect(events[0].detail).toEqual({ consumer: 'w1' });
    expect(events[1]).toMatchObject({ labels: { t: 'x' }, priority: 4, detail: { consumer: 'w1' } });
    expect(countHistoryEvents(fields)).toBe(3);
  });

  it('reads a many list that is not a JSON list of arrays as no event', () => {
    expect(parseHistoryEntries('9-0', ['e', 'started', 'many', '{bad'])).toEqual([]);
    expect(parseHistoryEntries('9-0', ['e', 'started', 'many', '{"a":1}'])).toEqual([]);
    expect(parseHistoryEntries('9-0', ['e', 'started', 'many', '[1,["a","1"]]'])).toHaveLength(1);
  });

  it("gives the events of one entry the entry's order key", () => {
    expect(eventOrder('1700000000123-4')).toBe('1700000000123000000000004');
    expect(eventOrder('1700000000123-4.00002')).toBe('1700000000123000000000004');
  });
});
