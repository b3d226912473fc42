import type { Client } from "discord.js";
import type { Config } from "../config/env.js";
import type { Cooldown } from "../discord/cooldown.js";
import type { Admissions } from "../requests/admissions.js";
import type { DiscordMessages } from "../discord/messages.js";
import type { JobRepository } from "../jobs/repository.js";
import type { JobRunner } from "../runner/runner.js";
import type { Budget } from "../quota/budget.js";
import type { Slots } from "../queue/slots.js";
import type { Logger } from "../log/logger.js";
import type { Confirmations } from "../requests/confirm.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Settings } from "../settings/settings.js";
import type { Operator } from "../operator/operator.js";
import type { Seedance } from "../seedance/client.js";
import type { Tier } from "../seedance/pricing.js";
import type { Store } from "../store/index.js";
import type { AnimateForms } from "../requests/forms.js";

/** What command handlers may use: the engine's parts, built once in bot.ts. */
export interface Services {
  config: Config;
  log: Logger;
  client: Client;
  store: Store;
  repo: JobRepository;
  seedance: Seedance;
  tier: Tier;
  messages: DiscordMessages;
  runner: JobRunner;
  budget: Budget;
  /** Places for pictures between download and fal storage. */
  intake: Slots;
  /** Members' commands being admitted right now (for refusing a burst's extras at once). */
  admissions: Admissions;
  /** Refusals already answered for a reaction (message and member), for 10 minutes. */
  reactionReplies: Cooldown;
  /** The operator: owners, the servers served, the pause. */
  operator: Operator;
  metrics: Metrics;
  /** Servers' settings (channels, limits, confirmation, sound). */
  settings: Settings;
  /** Price questions waiting for the caller's answer. */
  confirmations: Confirmations;
  /** Open Animate forms and the pictures they animate. */
  forms: AnimateForms;
}
