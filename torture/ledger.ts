import { closeSync, fdatasyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a process records, one JSON object per line, in a file of its own.
 * - `sent`: a producer is about to send key `k` of workload kind `kind`, asking the handler for
 *   `behaviour` (`broken`: written raw, malformed on purpose), with its ordering key `key` if any;
 * - `acked`: the send (or the raw write) of `k` resolved (`id`: envelope id, `''` for a raw write);
 * - `failed`: the send of `k` rejected (not acknowledged; it may still have been appended);
 * - `start` / `ok` / `threw`: a handler began / finished successfully / threw on `k` (`attempt`, `pid`);
 * - `tick`: the schedule's handler ran for fire time `fire` (`attempt`, `entryId`: the delivery);
 * - `fenced`: an ownership holder's fenced write was accepted (`stream`, `token`);
 * - `fault`: the harness injected a fault of `kind` on `target` from `from` to `until`.
 */
export type LedgerRecord =
  | { t: number; type: 'sent'; k: string; kind: string; behaviour: string; key?: string }
  | { t: number; type: 'acked'; k: string; kind: string; id: string }
  | { t: number; type: 'failed'; k: string; kind: string; error: string }
  | { t: number; type: 'start' | 'ok' | 'threw'; k: string; kind: string; attempt: number; pid: number }
  | { t: number; type: 'tick'; fire: number; attempt: number; pid: number; entryId: string }
  | { t: number; type: 'fenced'; stream: string; token: number; pid: number }
  | { t: number; type: 'fault'; kind: string; target: string; pid?: number; from: number; until: number };

/** Distributes Omit over the union, so a record can be written without its time. */
type WithoutTime<T> = T extends unknown ? Omit<T, 't'> : never;

/**
 * An append-only ledger file outside Valkey. Each record is one `write()` (O_APPEND), so it survives
 * a SIGKILL of the writer as soon as `record()` returned; `fdatasync` runs every `syncEvery` ms and
 * at `close()`, so records also survive a machine crash after that.
 */
export class Ledger {
  readonly #fd: number;
  readonly #timer: NodeJS.Timeout;

  constructor(dir: string, name: string, syncEvery = 100) {
    this.#fd = openSync(join(dir, `${name}.jsonl`), 'a');
    this.#timer = setInterval(() => fdatasyncSync(this.#fd), syncEvery);
    this.#timer.unref();
  }

  record(record: WithoutTime<LedgerRecord>): void {
    writeSync(this.#fd, `${JSON.stringify({ t: Date.now(), ...record })}\n`);
  }

  close(): void {
    clearInterval(this.#timer);
    fdatasyncSync(this.#fd);
    closeSync(this.#fd);
  }
}

/** Every record of every ledger file in `dir`. A last line cut by a SIGKILL mid-write is skipped. */
export function readLedgers(dir: string): LedgerRecord[] {
  const records: LedgerRecord[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as LedgerRecord);
      } catch {
        // a torn last line: the writer died inside write()
      }
    }
  }
  return records;
}
