import type { LedgerRecord } from './ledger.js';
import { checkOrdering, type OrderingSummary } from './ordering-check.js';
import { TICK_EVERY, WORKLOADS } from './workloads.js';

/** What the harness read from Valkey at the end. */
export interface ServerFindings {
  /** Ledger key → the reasons of the dead letters that carry it (`dead`, `broken`, `expired`). */
  deadLetters: Map<string, string[]>;
  /** Owned stream → its fenced log, oldest first (`<pid>|<token>`). */
  fencedLogs: Map<string, string[]>;
}

export interface KindRow {
  kind: string;
  sent: number;
  acked: number;
  sendFailed: number;
  handled: number;
  lost: number;
  duplicated: number;
  /** Duplicates of an exactly-once kind that no fault explains. */
  unexplained: number;
  dead: number;
  broken: number;
  exactlyOnce: boolean;
}

export interface Verdict {
  rows: KindRow[];
  lostKeys: string[];
  unexplainedKeys: string[];
  ticks: {
    expected: number;
    fired: number;
    reRun: number;
    doubled: number;
    doubledAtFailover: number;
    skipped: number;
  };
  ownership: { streams: number; tokens: number; fencedWrites: number; doubleHolders: number };
  ordering: OrderingSummary;
  faults: Map<string, number>;
  failures: string[];
}

/** Faults that can leave a handled message unacknowledged for every process (not only the one hit). */
const SHARED_FAULTS = /^(restart|failover|proxy)/;
/** Slack before the first run's end: a fault just before it can still cut the ack that follows. */
const EXPLAIN_SLACK_MS = 1_000;
/** A tick fired this close to a failover may have been fired on the old primary only. */
const FAILOVER_SLACK_MS = 2_000;

/**
 * Reads the ledgers and what the server holds and decides: lost (acknowledged, never handled, not in
 * dead letters), duplicated (and whether a fault explains it, for kinds that promise once), double
 * ticks (two deliveries of one fire time, each a first attempt; apart from those at a failover),
 * double holders (a fenced log whose tokens go down).
 */
export function check(records: LedgerRecord[], server: ServerFindings): Verdict {
  const sent = new Map<string, { kind: string; behaviour: string }>();
  const acked = new Set<string>();
  const failed = new Set<string>();
  const oks = new Map<string, { t: number; pid: number }[]>();
  const faults: Extract<LedgerRecord, { type: 'fault' }>[] = [];
  const ticks = new Map<number, { attempt: number; t: number }[]>();
  for (const record of records) {
    if (record.type === 'sent') sent.set(record.k, { kind: record.kind, behaviour: record.behaviour });
    else if (record.type === 'acked') acked.add(record.k);
    else if (record.type === 'failed') failed.add(record.k);
    else if (record.type === 'ok') push(oks, record.k, { t: record.t, pid: record.pid });
    else if (record.type === 'fault') faults.push(record);
    else if (record.type === 'tick') push(ticks, record.fire, { attempt: record.attempt, t: record.t });
  }

  const rows = new Map<string, KindRow>(
    WORKLOADS.map((kind) => [
      kind.name,
      {
        kind: kind.name,
        exactlyOnce: kind.exactlyOnce,
        ...{ sent: 0, acked: 0, sendFailed: 0, handled: 0, lost: 0, duplicated: 0, unexplained: 0 },
        ...{ dead: 0, broken: 0 },
      },
    ]),
  );
  const lostKeys: string[] = [];
  const unexplainedKeys: string[] = [];
  for (const [k, { kind, behaviour }] of sent) {
    const row = rows.get(kind);
    if (!row) continue;
    row.sent++;
    if (acked.has(k)) row.acked++;
    if (failed.has(k)) row.sendFailed++;
    const reasons = server.deadLetters.get(k) ?? [];
    if (reasons.includes('dead')) row.dead++;
    if (reasons.includes('broken')) row.broken++;
    const runs = (oks.get(k) ?? []).sort((a, b) => a.t - b.t);
    if (runs.length > 0) row.handled++;
    const ended = runs.length > 0 || reasons.length > 0;
    if (acked.has(k) && !ended) {
      row.lost++;
      lostKeys.push(k);
    }
    // A raw malformed write must end broken, and nothing else.
    if (behaviour === 'broken' && acked.has(k) && ended && !reasons.includes('broken')) {
      row.lost++;
      lostKeys.push(k);
    }
    if (runs.length > 1) {
      row.duplicated++;
      if (row.exactlyOnce && !explained(runs[0], runs[1], faults)) {
        row.unexplained++;
        unexplainedKeys.push(k);
      }
    }
  }

  const fires = [...ticks.keys()].sort((a, b) => a - b);
  const expected = fires.length === 0 ? 0 : Math.round((fires.at(-1)! - fires[0]) / TICK_EVERY) + 1;
  // Two first deliveries of one fire time: the tick was fired twice. Across a failover that is the
  // replication window (the old primary fired it, the promoted replica never got it), not a bug.
  const failovers = faults.filter((fault) => fault.kind.startsWith('failover'));
  let doubled = 0;
  let doubledAtFailover = 0;
  for (const runs of ticks.values()) {
    const firsts = runs.filter((run) => run.attempt === 1);
    if (firsts.length < 2) continue;
    const atFailover = failovers.some(
      (fault) =>
        fault.from - FAILOVER_SLACK_MS <= firsts[0].t && firsts[0].t <= fault.until + FAILOVER_SLACK_MS,
    );
    if (atFailover) doubledAtFailover++;
    else doubled++;
  }
  const reRun = [...ticks.values()].filter((runs) => runs.length > 1).length;
  const tickSummary = {
    expected,
    fired: fires.length,
    reRun,
    doubled,
    doubledAtFailover,
    skipped: expected - fires.length,
  };

  let doubleHolders = 0;
  let tokens = 0;
  for (const log of server.fencedLogs.values()) {
    let highest = 0;
    const seen = new Set<number>();
    for (const entry of log) {
      const token = Number(entry.split('|')[1]);
      seen.add(token);
      if (token < highest) doubleHolders++;
      highest = Math.max(highest, token);
    }
    tokens += seen.size;
  }
  const ownership = {
    streams: server.fencedLogs.size,
    tokens,
    fencedWrites: [...server.fencedLogs.values()].reduce((sum, log) => sum + log.length, 0),
    doubleHolders,
  };

  const ordering = checkOrdering(records, (first, second) => explained(first, second, faults));

  const faultCounts = new Map<string, number>();
  for (const fault of faults) faultCounts.set(fault.kind, (faultCounts.get(fault.kind) ?? 0) + 1);
  for (const { behaviour } of sent.values())
    if (behaviour === 'hang' || behaviour === 'throwValue')
      faultCounts.set(`handler-${behaviour}`, (faultCounts.get(`handler-${behaviour}`) ?? 0) + 1);

  const all = [...rows.values()];
  const failures: string[] = [];
  const lost = all.reduce((sum, row) => sum + row.lost, 0);
  const unexplained = all.reduce((sum, row) => sum + row.unexplained, 0);
  if (lost > 0) failures.push(`${lost} lost: ${lostKeys.slice(0, 10).join(', ')}`);
  if (unexplained > 0)
    failures.push(
      `${unexplained} unexplained duplicates where once was promised: ${unexplainedKeys.slice(0, 10).join(', ')}`,
    );
  if (doubled > 0) failures.push(`${doubled} double ticks`);
  if (doubleHolders > 0) failures.push(`${doubleHolders} fenced writes by a stale holder (double holders)`);
  if (ordering.orderViolations + ordering.overlaps > 0)
    failures.push(
      `${ordering.orderViolations} ordering-key messages run out of send order, ${ordering.overlaps} runs of one key at once: ${ordering.examples.slice(0, 5).join('; ')}`,
    );
  if (all.every((row) => row.handled === 0)) failures.push('nothing was handled');
  return {
    rows: all,
    lostKeys,
    unexplainedKeys,
    ticks: tickSummary,
    ownership,
    ordering,
    faults: faultCounts,
    failures,
  };
}

/**
 * A second successful run of an idempotent handler is the documented window when a fault could have
 * cut the first run's ack: the process of either run was killed or stopped (a stopped holder that
 * resumes runs the message its reclaimer runs too), or a fault that hits
 * every connection (server restart, failover, network) happened, between the first run's end and
 * the second run's end.
 */
function explained(
  first: { t: number; pid: number },
  second: { t: number; pid: number },
  faults: Extract<LedgerRecord, { type: 'fault' }>[],
): boolean {
  const from = first.t - EXPLAIN_SLACK_MS;
  return faults.some(
    (fault) =>
      fault.from <= second.t &&
      fault.until >= from &&
      (SHARED_FAULTS.test(fault.kind) || fault.pid === first.pid || fault.pid === second.pid),
  );
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The table the run prints (and docs/guarantees.md records). */
export function formatVerdict(verdict: Verdict): string {
  const header = [
    'kind',
    'once?',
    'sent',
    'acked',
    'send failed',
    'handled',
    'lost',
    'duplicated',
    'unexplained dup',
    'dead',
    'broken',
  ];
  const total: KindRow = verdict.rows.reduce(
    (sum, row) => ({
      ...sum,
      sent: sum.sent + row.sent,
      acked: sum.acked + row.acked,
      sendFailed: sum.sendFailed + row.sendFailed,
      handled: sum.handled + row.handled,
      lost: sum.lost + row.lost,
      duplicated: sum.duplicated + row.duplicated,
      unexplained: sum.unexplained + row.unexplained,
      dead: sum.dead + row.dead,
      broken: sum.broken + row.broken,
    }),
    {
      kind: 'total',
      exactlyOnce: false,
      sent: 0,
      acked: 0,
      sendFailed: 0,
      handled: 0,
      lost: 0,
      duplicated: 0,
      unexplained: 0,
      dead: 0,
      broken: 0,
    },
  );
  const line = (row: KindRow, once: string): string[] => [
    row.kind,
    once,
    ...[
      row.sent,
      row.acked,
      row.sendFailed,
      row.handled,
      row.lost,
      row.duplicated,
      row.unexplained,
      row.dead,
      row.broken,
    ].map(String),
  ];
  const body = [...verdict.rows.map((row) => line(row, row.exactlyOnce ? 'yes' : 'no')), line(total, '')];
  const { ticks, ownership, ordering } = verdict;
  const faults = [...verdict.faults]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind} ${count}`);
  return [
    markdownTable(header, body),
    '',
    markdownTable(
      [
        'schedule ticks expected',
        'fired',
        'double ticks',
        'fired twice across a failover',
        'skipped (caught up once)',
        're-run after a fault',
      ],
      [
        [ticks.expected, ticks.fired, ticks.doubled, ticks.doubledAtFailover, ticks.skipped, ticks.reRun].map(
          String,
        ),
      ],
    ),
    '',
    markdownTable(
      ['owned streams', 'leases (tokens) used', 'fenced writes', 'double holders'],
      [[ownership.streams, ownership.tokens, ownership.fencedWrites, ownership.doubleHolders].map(String)],
    ),
    '',
    markdownTable(
      [
        'ordering keys',
        'acked ordered messages',
        'out of send order',
        'runs of one key at once',
        'at once while a fault froze the holder',
      ],
      [
        [
          ordering.keys,
          ordering.messages,
          ordering.orderViolations,
          ordering.overlaps,
          ordering.overlapsExplained,
        ].map(String),
      ],
    ),
    '',
    `faults injected: ${faults.join(', ') || 'none'}`,
  ].join('\n');
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => row[index].length)));
  const format = (row: string[]): string =>
    `| ${row.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join(' | ')} |`;
  return [
    format(header),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...rows.map(format),
  ].join('\n');
}
