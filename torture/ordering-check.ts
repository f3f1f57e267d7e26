import type { LedgerRecord } from './ledger.js';

/** One handler run of a message: from its `start` record to its `ok`/`threw` record (or its kill). */
interface Run {
  k: string;
  pid: number;
  attempt: number;
  start: number;
  /** Undefined while no end is known (the process was stopped by the harness mid-run, say). */
  end?: number;
  ok: boolean;
}

export interface OrderingSummary {
  /** Ordering keys that had at least one acknowledged send. */
  keys: number;
  /** Acknowledged sends with an ordering key. */
  messages: number;
  /** A message whose first run started before an earlier acknowledged message of its key was done. */
  orderViolations: number;
  /** Two runs of one key at the same time that no fault explains. */
  overlaps: number;
  /** Two runs of one key at the same time while the first run's process was stopped, or the network or server failed. */
  overlapsExplained: number;
  /** `key: detail` of the first violations, for the failure message. */
  examples: string[];
}

/**
 * The per-key ordering rules (docs/ordering.md): for each ordering key,
 * - **send order**: taking the key's acknowledged sends in send order (each producer loop awaits every
 *   send of its keys), no message's first run starts before every earlier one is done (its first
 *   successful run ended; for one that never succeeded, its last run ended);
 * - **one at a time**: no run of any of the key's messages starts while another is still running,
 *   unless `explains(earlier, later)` finds a fault that lets a lease lapse under a live handler (a
 *   stopped holder, a stalled or cut network, a server restart or failover: the documented window
 *   where a frozen holder overlaps the next one in wall-clock time but cannot write an outcome).
 */
export function checkOrdering(
  records: LedgerRecord[],
  explains: (earlier: { t: number; pid: number }, later: { t: number; pid: number }) => boolean,
): OrderingSummary {
  const keyOf = new Map<string, string>();
  const sends = new Map<string, string[]>(); // key → its messages, in send order
  const acked = new Set<string>();
  const runs = new Map<string, Run[]>(); // message → its runs
  const open = new Map<string, Run>(); // `k|pid|attempt` → the run not ended yet
  const kills = new Map<number, number>(); // pid → when it was SIGKILLed
  for (const record of records) {
    if (record.type === 'sent' && record.key !== undefined) {
      keyOf.set(record.k, record.key);
      const list = sends.get(record.key);
      if (list) list.push(record.k);
      else sends.set(record.key, [record.k]);
    } else if (record.type === 'fault' && record.kind.startsWith('kill') && record.pid !== undefined) {
      kills.set(record.pid, record.from);
    }
  }
  // Ledger files are read one after the other: sort the handler records by time before pairing.
  type HandlerRecord = Extract<LedgerRecord, { type: 'start' | 'ok' | 'threw' }>;
  const handlerRecords = records
    .filter(
      (record): record is HandlerRecord =>
        (record.type === 'start' || record.type === 'ok' || record.type === 'threw') && keyOf.has(record.k),
    )
    .sort((a, b) => a.t - b.t);
  for (const record of records) if (record.type === 'acked' && keyOf.has(record.k)) acked.add(record.k);
  for (const record of handlerRecords) {
    const id = `${record.k}|${record.pid}|${record.attempt}`;
    if (record.type === 'start') {
      const run: Run = { k: record.k, pid: record.pid, attempt: record.attempt, start: record.t, ok: false };
      open.set(id, run);
      const list = runs.get(record.k);
      if (list) list.push(run);
      else runs.set(record.k, [run]);
    } else {
      const run = open.get(id);
      if (!run) continue;
      run.end = record.t;
      run.ok = record.type === 'ok';
      open.delete(id);
    }
  }
  // A run cut by a SIGKILL ended when its process died.
  for (const run of open.values()) {
    const killedAt = kills.get(run.pid);
    if (killedAt !== undefined && killedAt >= run.start) run.end = killedAt;
  }

  const summary: OrderingSummary = {
    keys: 0,
    messages: 0,
    orderViolations: 0,
    overlaps: 0,
    overlapsExplained: 0,
    examples: [],
  };
  for (const [key, messages] of sends) {
    const ackedMessages = messages.filter((k) => acked.has(k));
    if (ackedMessages.length === 0) continue;
    summary.keys++;
    summary.messages += ackedMessages.length;

    let doneBy = -Infinity;
    let doneMessage = '';
    for (const k of ackedMessages) {
      const mine = runs.get(k) ?? [];
      if (mine.length === 0) continue; // lost or dead without a run: counted by the main check
      const firstStart = Math.min(...mine.map((run) => run.start));
      if (firstStart < doneBy) {
        summary.orderViolations++;
        summary.examples.push(
          `${key}: ${k} started ${doneBy - firstStart} ms before ${doneMessage} was done`,
        );
      }
      const firstOk = mine.filter((run) => run.ok).sort((a, b) => a.end! - b.end!)[0];
      const done = firstOk ? firstOk.end! : Math.max(...mine.map((run) => run.end ?? run.start));
      if (done > doneBy) {
        doneBy = done;
        doneMessage = k;
      }
    }

    // Every run of the key, acknowledged or not: none may start while another still runs.
    const all = messages.flatMap((k) => runs.get(k) ?? []).sort((a, b) => a.start - b.start);
    let running: Run | undefined;
    for (const run of all) {
      if (running && running.end !== undefined && run.start < running.end) {
        if (explains({ t: running.start, pid: running.pid }, { t: run.start, pid: run.pid })) {
          summary.overlapsExplained++;
        } else {
          summary.overlaps++;
          summary.examples.push(
            `${key}: ${run.k} attempt ${run.attempt} (pid ${run.pid}) started while ${running.k} attempt ${running.attempt} (pid ${running.pid}) ran`,
          );
        }
      }
      if (!running || (run.end ?? run.start) > (running.end ?? running.start)) running = run;
    }
  }
  return summary;
}
