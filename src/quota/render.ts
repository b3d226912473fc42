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

export function renderBudget(userId: string, s: BudgetStatus, period: string): string {
  return [
    `💰 Budget of <@${userId}> for this ${period} (${SOURCE[s.source]}): ${formatUsd(s.limitMicros)}`,
    `${budgetBar(s.spentMicros + s.reservedMicros, s.limitMicros)} ${formatUsd(s.remainingMicros)} left`,
    `Spent ${formatUsd(s.spentMicros)} · held for running jobs ${formatUsd(s.reservedMicros)} · jobs in progress ${s.inFlight}`,
    `Resets <t:${Math.floor(s.resetAt / 1000)}:R>`,
  ].join("\n");
}
