import type { Logger } from "../log/index.js";
import type { JobRepository } from "./repository.js";

const DAY = 86_400_000;
/** Ledger totals are kept at least this long, whatever the retention: a period lasts up to a month. */
const LEDGER_MIN_KEEP_MS = 62 * DAY;
const BATCH = 500;

export interface RetentionOptions {
  repo: JobRepository;
  /** The ledger's part: its records of ended jobs, and old periods (the quota feature's ledger). */
  ledger: { forget(jobIds: string[]): Promise<unknown>; prune(before: number): Promise<number> };
  log: Logger;
  retentionDays: number;
  /** How often to sweep; the first sweep runs a minute after start. */
  intervalMs?: number;
  now?: () => number;
}

/** Deletes jobs that ended more than the retention ago, their links and ledger records. */
export async function sweepOldRecords(o: RetentionOptions): Promise<{ jobs: number; ledgerRecords: number }> {
  const now = (o.now ?? Date.now)();
  const before = now - o.retentionDays * DAY;
  let jobs = 0;
  for (;;) {
    const ids = await o.repo.pruneEnded(before, BATCH);
    if (ids.length) await o.ledger.forget(ids);
    jobs += ids.length;
    if (ids.length < BATCH) break;
  }
  const ledgerRecords = await o.ledger.prune(Math.min(before, now - LEDGER_MIN_KEEP_MS));
  return { jobs, ledgerRecords };
}

/** Sweeps in the background (hourly by default); returns a stop function. */
export function startRetention(o: RetentionOptions): () => void {
  const run = () =>
    sweepOldRecords(o).then(
      (n) => (n.jobs || n.ledgerRecords) && o.log.info({ ...n, retentionDays: o.retentionDays }, "old records pruned"),
      (err: unknown) => o.log.warn({ err }, "pruning old records failed; it is tried again later"),
    );
  const first = setTimeout(run, 60_000);
  const every = setInterval(run, o.intervalMs ?? 3_600_000);
  first.unref();
  every.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
