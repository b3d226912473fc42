import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";

/** Another process already runs the bot on this SQLite file. */
export class StoreInUse extends Error {
  override name = "StoreInUse";
}

interface Holder {
  pid: number;
  host: string;
  /** Last heartbeat (ms). */
  at: number;
}

const HEARTBEAT_MS = 5_000;
/** A holder on another machine (a container sharing the volume) is gone when it stopped beating this long ago. */
const STALE_MS = 20_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One process per SQLite file: the embedded ledger's exactness rests on one in-process lock and
 * a write-through cache, so a second bot on the same file would hold against stale totals. A
 * lock file beside the database names its holder (process id, host, heartbeat); a second start
 * is refused while the holder lives, and a dead holder's file (kill -9) is taken over.
 */
export function lockStoreFile(dbPath: string): { release(): void } {
  const path = `${dbPath}.lock`;
  const me = (): Holder => ({ pid: process.pid, host: hostname(), at: Date.now() });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(me()), { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      let other: Holder | undefined;
      try {
        other = JSON.parse(readFileSync(path, "utf8")) as Holder;
      } catch {
        other = undefined; // half-written by a process that died: stale
      }
      const sameHost = other?.host === hostname();
      const held = other && other.pid !== process.pid && (sameHost ? alive(other.pid) : Date.now() - other.at < STALE_MS);
      if (held) throw new StoreInUse(`Configuration error: another bot process (pid ${other!.pid} on ${other!.host}) uses ${dbPath}; run one process per SQLite file, or STORE_URL=redis://… for several`);
      unlinkSync(path);
    }
  }
  const beat = setInterval(() => {
    try {
      writeFileSync(path, JSON.stringify(me()));
    } catch {
      // the next beat tries again
    }
  }, HEARTBEAT_MS);
  beat.unref();
  return {
    release() {
      clearInterval(beat);
      try {
        const holder = JSON.parse(readFileSync(path, "utf8")) as Holder;
        if (holder.pid === process.pid && holder.host === hostname()) unlinkSync(path);
      } catch {
        // gone already
      }
    },
  };
}
