import { formatUsd } from "../seedance/pricing.js";
import type { BudgetStatus } from "./budget.js";

const CELLS = 10;

/** A used-budget bar: filled cells are spent or held. */
export function budgetBar(usedMicros: number, limitMicros: number): string {
  const fraction = limitMicros > 0 ? Math.min(1, usedMicros / limitMicros) : 1;
  const filled = Math.round(fraction * CELLS);
  return `${"▰".repeat(filled)}${"▱".repeat(CELLS - filled)}`;
}

const SOURCE = { user: "set for this member", guild: "this server's default", default: "the bot's default" } as const;

const BINDING = {
  guild_cap: "This server's cap, set by the bot's operator, leaves less than your budget",
  spend_cap: "The bot's overall cap, set by its operator, leaves less than your budget",
} as const;

export function renderBudget(userId: string, s: BudgetStatus, period: string): string {
  const lines = [
    `💰 Budget of <@${userId}> for this ${period} (${SOURCE[s.source]}): ${formatUsd(s.limitMicros)}`,
    `${budgetBar(s.limitMicros - s.remainingMicros, s.limitMicros)} ${formatUsd(s.remainingMicros)} left`,
    `Spent ${formatUsd(s.spentMicros)} · held for running jobs ${formatUsd(s.reservedMicros)} · jobs in progress ${s.inFlight}`,
  ];
  if (s.binding !== "member") lines.push(`${BINDING[s.binding]}: ${formatUsd(s.remainingMicros)} left for now.`);
  lines.push(`Resets <t:${Math.floor(s.resetAt / 1000)}:R>`);
  return lines.join("\n");
}
