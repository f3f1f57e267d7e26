import type { LedgerRecord } from './ledger.js';
import { checkOrdering } from './ordering-check.js';

const kind = 'stream-ordered';
const sent = (t: number, k: string, key = 'p/0-1'): LedgerRecord => ({
  t,
  type: 'sent',
  k,
  kind,
  behaviour: 'ok',
  key,
});
const acked = (t: number, k: string): LedgerRecord => ({ t, type: 'acked', k, kind, id: k });
const run = (
  k: string,
  start: number,
  end: number,
  { pid = 1, attempt = 1, ok = true }: { pid?: number; attempt?: number; ok?: boolean } = {},
): LedgerRecord[] => [
  { t: start, type: 'start', k, kind, attempt, pid },
  { t: end, type: ok ? 'ok' : 'threw', k, kind, attempt, pid },
];
const noFault = (): boolean => false;

describe('checkOrdering', () => {
  it('passes a key whose messages ran one after the other in send order, retries included', () => {
    const records = [
      sent(1, 'a'),
      acked(2, 'a'),
      sent(3, 'b'),
      acked(4, 'b'),
      ...run('a', 10, 11, { ok: false }),
      ...run('a', 20, 21, { attempt: 2, pid: 2 }),
      ...run('b', 22, 23),
    ];

    expect(checkOrdering(records, noFault)).toMatchObject({
      keys: 1,
      messages: 2,
      orderViolations: 0,
      overlaps: 0,
    });
  });

  it('counts a message that started before an earlier acknowledged one of its key succeeded', () => {
    const records = [
      sent(1, 'a'),
      acked(2, 'a'),
      sent(3, 'b'),
      acked(4, 'b'),
      ...run('a', 10, 11, { ok: false }),
      ...run('b', 12, 13),
      ...run('a', 20, 21, { attempt: 2 }),
    ];

    const summary = checkOrdering(records, noFault);

    expect(summary.orderViolations).toBe(1);
    expect(summary.examples[0]).toMatch(/p\/0-1: b started/);
  });

  it('ignores sends that were never acknowledged, and keys of other producers', () => {
    const records = [
      sent(1, 'a'),
      sent(3, 'b'),
      acked(4, 'b'),
      sent(5, 'c', 'q/0-1'),
      acked(6, 'c'),
      ...run('b', 10, 11),
      ...run('a', 12, 13), // a failed send that was in fact appended, later
      ...run('c', 10, 11),
    ];

    expect(checkOrdering(records, noFault)).toMatchObject({ keys: 2, orderViolations: 0, overlaps: 0 });
  });

  it('counts two runs of one key at once, unless a fault explains it', () => {
    const records = [
      sent(1, 'a'),
      acked(2, 'a'),
      ...run('a', 10, 30, { ok: false }),
      ...run('a', 20, 21, { attempt: 2, pid: 2 }),
    ];

    expect(checkOrdering(records, noFault)).toMatchObject({ overlaps: 1, overlapsExplained: 0 });
    expect(checkOrdering(records, (earlier) => earlier.pid === 1)).toMatchObject({
      overlaps: 0,
      overlapsExplained: 1,
    });
  });

  it('ends a run cut by a SIGKILL when its process was killed', () => {
    const records: LedgerRecord[] = [
      sent(1, 'a'),
      acked(2, 'a'),
      { t: 10, type: 'start', k: 'a', kind, attempt: 1, pid: 1 },
      { t: 16, type: 'fault', kind: 'kill-worker', target: 'worker-1', pid: 1, from: 15, until: 16 },
      ...run('a', 20, 21, { attempt: 2, pid: 2 }),
      ...run('a', 14, 15, { attempt: 2, pid: 3 }),
    ];

    // The pid-3 run started at 14, while pid 1's run (killed at 15) still ran.
    expect(checkOrdering(records, noFault)).toMatchObject({ overlaps: 1, orderViolations: 0 });
  });
});
