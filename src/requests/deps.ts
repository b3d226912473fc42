import type { Config } from "../config/index.js";
import type { CreditShop } from "../credits/index.js";
import type { DiscordMessages } from "../discord/index.js";
import type { JobRepository } from "../jobs/index.js";
import type { Logger } from "../log/index.js";
import type { Metrics } from "../metrics/index.js";
import type { Operator } from "../operator/index.js";
import type { SlotPool, Slots } from "../queue/index.js";
import type { Budget } from "../quota/index.js";
import type { JobRunner } from "../runner/index.js";
import type { Seedance } from "../seedance/index.js";
import type { Tier } from "../seedance/index.js";
import type { Modlog, PictureScreen } from "../safety/index.js";
import type { Settings } from "../settings/index.js";
import type { Admissions } from "./admissions.js";
import type { Confirmations } from "./confirm.js";
import type { AnimateForms } from "./forms.js";

/**
 * What turning a member's request into an admitted job uses, each part from the feature that
 * owns it; built once where the bot is wired (bot.ts), never imported from above.
 */
export interface RequestDeps {
  config: Config;
  log: Logger;
  repo: JobRepository;
  seedance: Seedance;
  tier: Tier;
  messages: DiscordMessages;
  runner: JobRunner;
  budget: Budget;
  /** The fal slots (the queue's length by server, for its cap). */
  falSlots: SlotPool;
  /** Places for pictures between download and fal storage. */
  intake: Slots;
  /** Members' commands being admitted right now (for refusing a burst's extras at once). */
  admissions: Admissions;
  /** The operator: owners, the servers served, the pause. */
  operator: Operator;
  metrics: Metrics;
  /** Servers' settings (channels, limits, confirmation, sound). */
  settings: Settings;
  /** Price questions waiting for the caller's answer. */
  confirmations: Confirmations;
  /** Open Animate forms and the pictures they animate. */
  forms: AnimateForms;
  /** Credit packs sold through Discord (offered under budget refusals). */
  shop: CreditShop;
  /** The moderators' log (safety refusals, delivered videos, reports). */
  modlog: Modlog;
  /** fal's NSFW check on pictures before the hold (when the operator turned it on). */
  screen: PictureScreen;
}
