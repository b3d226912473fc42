import { randomBytes } from "node:crypto";
import type { Store } from "../store/index.js";

/** What the operator can do to the money, from either side. */
export type AuditAction = "pause" | "resume" | "cap";

export interface AuditEntry {
  id: string;
  at: number;
  /** The operator's Discord user id. */
  by: string;
  action: AuditAction;
  /** The server a cap is for. */
  guildId?: string;
  /** What was set: "$25.00", "none", "default". */
  detail?: string;
  /** `/operator` in Discord, or the web console (with the address it came from). */
  from: "discord" | "console";
  address?: string;
}

const INDEX = "audit:log";
const entryKey = (id: string) => `audit:entry:${id}`;

/**
 * Every operator action, whoever made it and from where, kept as long as the ledger's records
 * (JOB_RETENTION_DAYS): entries expire by themselves and the index forgets them when read.
 */
export class AuditLog {
  constructor(
    private readonly store: Store,
    private readonly keptMs: number,
  ) {}

  async record(entry: Omit<AuditEntry, "id" | "at">): Promise<AuditEntry> {
    const at = Date.now();
    const full: AuditEntry = { ...entry, id: `${at.toString(36)}-${randomBytes(6).toString("hex")}`, at };
    await this.store.set(entryKey(full.id), full, this.keptMs);
    await this.store.indexAdd(INDEX, full.id, at);
    return full;
  }

  /** Entries newest first, `limit` from `offset`. */
  async list(offset: number, limit: number): Promise<AuditEntry[]> {
    const old = await this.store.indexRange(INDEX, Date.now() - this.keptMs, 1_000);
    if (old.length) await this.store.indexRemove(INDEX, old);
    const ids = await this.store.indexNewest(INDEX, offset, limit);
    const entries = await Promise.all(ids.map((id) => this.store.get<AuditEntry>(entryKey(id))));
    return entries.filter((e): e is AuditEntry => e !== undefined);
  }
}
