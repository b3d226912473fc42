/**
 * The store did not answer (Redis restarting or unreachable, a command past its timeout, the
 * SQLite file busy or unwritable). Nothing is known to have changed: callers refuse politely or
 * try again later; it never means "no such record".
 */
export class StoreUnavailable extends Error {
  override name = "StoreUnavailable";
}

// Redis's own answers to a command (a script's error, a wrong type) are not outages, except
// those of a server that is starting, read-only after a failover, or busy.
const SERVER_REPLY = new Set(["ErrorReply", "SimpleError", "BlobError"]);
const SERVER_NOT_READY = /^(LOADING|READONLY|MISCONF|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/;
const SQLITE_OUTAGE = /SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY)/;

/** The error a store call failed with, as the store's callers should see it. */
export function storeError(err: unknown, kind: "redis" | "sqlite" | "memory"): unknown {
  if (err instanceof StoreUnavailable || !(err instanceof Error)) return err;
  if (kind === "redis" && (!SERVER_REPLY.has(err.constructor.name) || SERVER_NOT_READY.test(err.message))) return new StoreUnavailable(`Redis did not answer (${err.name}: ${err.message})`, { cause: err });
  if (kind === "sqlite" && SQLITE_OUTAGE.test(`${(err as { code?: string }).code ?? ""} ${err.message}`)) return new StoreUnavailable(`SQLite is unavailable (${err.message})`, { cause: err });
  return err;
}

/** Runs a store call, turning an outage into StoreUnavailable. */
export async function guarded<T>(kind: "redis" | "sqlite" | "memory", call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw storeError(err, kind);
  }
}

export function isStoreUnavailable(err: unknown): boolean {
  return err instanceof StoreUnavailable;
}
