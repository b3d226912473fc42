import type { Client } from "discord.js";
import type { Config } from "../config/index.js";
import type { Logger } from "../log/index.js";
import { formatUsd } from "../seedance/index.js";
import type { Store } from "../store/index.js";
import { AuditLog, type AuditEntry } from "./audit.js";

const PAUSED_KEY = "operator:paused";
/** The store's channel on which a pause or resume reaches every process at once. */
export const PAUSE_CHANNEL = "operator-pause";

/** Where an operator's action came from (the audit log says). */
export type Origin = Pick<AuditEntry, "from" | "address">;

export interface PauseState {
  by: string;
  at: number;
}

/**
 * Whoever runs the bot pays fal for it: the operator (OWNER_IDS, else the application's owner
 * or its team, from Discord) decides which servers it serves and can stop all new spending at
 * once. The pause lives in the store, so it survives restarts and holds for every process.
 */
export class Operator {
  private owners: ReadonlySet<string>;
  /** Every pause, resume and cap, from Discord or the console. */
  readonly audit: AuditLog;

  constructor(
    private readonly config: Pick<Config, "allowedGuildIds" | "ownerIds" | "jobRetentionDays">,
    private readonly store: Store,
    private readonly log: Logger,
  ) {
    this.owners = new Set(config.ownerIds ?? []);
    this.audit = new AuditLog(store, config.jobRetentionDays * 86_400_000);
  }

  /** Without OWNER_IDS, the owners are the application's owner, or its team's members. */
  async resolveOwners(client: Client<true>): Promise<void> {
    if (this.config.ownerIds) return;
    try {
      const app = await client.application.fetch();
      const owner = app.owner;
      const ids = !owner ? [] : "members" in owner ? [...owner.members.keys()] : [owner.id];
      this.owners = new Set(ids);
      if (!ids.length) this.log.warn("the application has no owner Discord reports; set OWNER_IDS to use /operator");
    } catch (err) {
      this.log.warn({ err }, "could not read the application's owner from Discord; set OWNER_IDS to use /operator");
    }
  }

  get ownerCount(): number {
    return this.owners.size;
  }

  isOwner(userId: string): boolean {
    return this.owners.has(userId);
  }

  /** Whether the bot serves this server (every server when ALLOWED_GUILD_IDS is unset). */
  serves(guildId: string | null): boolean {
    const allowed = this.config.allowedGuildIds;
    return allowed === null || (guildId !== null && allowed.includes(guildId));
  }

  /** One line with the caps in force and who may spend; a warning when any server may. */
  async logControls(config: Pick<Config, "spendCapMicros" | "guildSpendCapMicros" | "quotaPeriod" | "allowedGuildIds">): Promise<void> {
    const usd = (micros: number | null) => (micros === null ? "none" : formatUsd(micros));
    const paused = await this.paused();
    this.log.info(
      {
        spendCap: usd(config.spendCapMicros),
        guildSpendCap: usd(config.guildSpendCapMicros),
        period: config.quotaPeriod,
        servers: config.allowedGuildIds ?? "every server",
        owners: this.ownerCount,
        paused: paused !== null,
      },
      "operator controls",
    );
    if (this.serverListOpen) this.log.warn("ALLOWED_GUILD_IDS is not set: any server that invites the bot may spend, within the caps");
  }

  get serverListOpen(): boolean {
    return this.config.allowedGuildIds === null;
  }

  async paused(): Promise<PauseState | null> {
    return (await this.store.get<PauseState>(PAUSED_KEY)) ?? null;
  }

  async pause(by: string, from: Origin = { from: "discord" }): Promise<void> {
    await this.store.set(PAUSED_KEY, { by, at: Date.now() } satisfies PauseState);
    await this.store.publish(PAUSE_CHANNEL, "paused").catch(() => undefined); // every process also reads it before each submit
    await this.audit.record({ by, action: "pause", ...from });
    this.log.warn({ by, ...from }, "new videos paused by the operator");
  }

  async resume(by: string, from: Origin = { from: "discord" }): Promise<void> {
    await this.store.delete(PAUSED_KEY);
    await this.store.publish(PAUSE_CHANNEL, "resumed").catch(() => undefined);
    await this.audit.record({ by, action: "resume", ...from });
    this.log.warn({ by, ...from }, "new videos resumed by the operator");
  }
}
