import type { Client } from "discord.js";
import type { Config } from "../config/index.js";
import type { JobRepository } from "../jobs/index.js";
import type { Logger } from "../log/index.js";
import type { Operator } from "../operator/index.js";
import type { Budget } from "../quota/index.js";
import type { Store } from "../store/index.js";

export type { AuditEntry } from "../operator/index.js";
export type { OperatorTotals } from "../quota/index.js";

/** What the console reads and changes: the books, the jobs, the operator's controls. */
export interface ConsoleDeps {
  config: Pick<Config, "console" | "discordApiUrl" | "allowedGuildIds" | "quotaPeriod">;
  client: Client;
  store: Store;
  repo: JobRepository;
  budget: Budget;
  operator: Operator;
  log: Logger;
}
