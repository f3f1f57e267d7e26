import type { ValkeyClient } from 'nestjs-valkey-queue';

/** The ordering keys of a queue (prefix 'vq'), written out from docs/key-layout.md. */
export const orderedKeysOf = (queue: string) => {
  const base = `{vq:${queue}}:ordered`;
  return {
    ready: `${base}:ready`,
    leases: `${base}:leases`,
    holders: `${base}:holders`,
    takes: `${base}:takes`,
    fence: `${base}:fence`,
    parked: `${base}:parked`,
    listPrefix: `${base}:key:`,
    list: (key: string) => `${base}:key:${key}`,
  };
};

/** One handler run as the ledger saw it. */
export interface Run {
  key: string;
  seq: number;
  start: number;
  end?: number;
  ok?: boolean;
  /** Position of the start and end events in the ledger (a total order kept by the server). */
  startAt: number;
  endAt?: number;
  owner: string;
}

/** Parses the ledger (`start|key|seq|owner|ms` and `end|key|seq|owner|ms|ok` lines) into runs per key. */
export function runsByKey(lines: readonly string[]): Map<string, Run[]> {
  const open = new Map<string, Run>();
  const byKey = new Map<string, Run[]>();
  lines.forEach((line, position) => {
    const [kind, key, seq, owner, ms, ok] = line.split('|');
    const id = `${key}|${seq}|${owner}`;
    if (kind === 'start') {
      const run: Run = { key, seq: Number(seq), start: Number(ms), startAt: position, owner };
      open.set(id, run);
      const runs = byKey.get(key) ?? [];
      runs.push(run);
      byKey.set(key, runs);
    } else {
      const run = open.get(id)!;
      open.delete(id);
      Object.assign(run, { end: Number(ms), endAt: position, ok: ok === '1' });
    }
  });
  return byKey;
}

/**
 * Problems with one key's runs: every run must end before the next starts (by ledger position and
 * by clock; a run that never ended is allowed only for `killedOwner`, and then ends at `killedAt`),
 * sequence numbers never go back, and the successful runs are exactly 0..count-1 in order.
 */
export function orderProblems(
  runs: readonly Run[],
  count: number,
  killedOwner?: string,
  killedAt = Infinity,
): string[] {
  const problems: string[] = [];
  for (let index = 0; index < runs.length; index++) {
    const run = runs[index];
    const next = runs[index + 1];
    if (run.endAt === undefined && run.owner !== killedOwner)
      problems.push(`${run.key}#${run.seq} by ${run.owner} never ended`);
    if (!next) continue;
    if (next.seq < run.seq) problems.push(`${run.key}: #${next.seq} ran after #${run.seq}`);
    const endAt = run.endAt ?? Infinity;
    const end = run.end ?? killedAt;
    if (run.endAt !== undefined && next.startAt < endAt)
      problems.push(`${run.key}: #${next.seq} started before #${run.seq} ended (ledger order)`);
    if (next.start < end)
      problems.push(`${run.key}: #${next.seq} started at ${next.start}, before #${run.seq} ended at ${end}`);
  }
  // A run the killed instance finished but could not acknowledge runs again: at-least-once.
  const succeeded = runs
    .filter(
      (run, index) =>
        run.ok &&
        !(run.owner === killedOwner && runs.slice(index + 1).some((later) => later.seq === run.seq)),
    )
    .map((run) => run.seq);
  const expected = Array.from({ length: count }, (_, index) => index);
  if (JSON.stringify(succeeded) !== JSON.stringify(expected))
    problems.push(`${runs[0]?.key}: handled ${JSON.stringify(succeeded)}`);
  return problems;
}

/** Every key name of the queue (SCAN; tests only). */
export async function keysOfQueue(client: ValkeyClient, queue: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await client.scan(cursor, 'MATCH', `{vq:${queue}}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...page);
  } while (cursor !== '0');
  return found.sort();
}
