import { translator, usd, usdDown, usdUp } from "../i18n/index.js";
import type { BudgetStatus } from "./budget.js";

const CELLS = 10;

/** A used-budget bar: filled cells are spent or held. */
export function budgetBar(usedMicros: number, limitMicros: number): string {
  const fraction = limitMicros > 0 ? Math.min(1, usedMicros / limitMicros) : 1;
  const filled = Math.round(fraction * CELLS);
  return `${"▰".repeat(filled)}${"▱".repeat(CELLS - filled)}`;
}

/** A member's budget as `/quota show` tells it, in the reader's language. */
export function renderBudget(locale: string, userId: string, s: BudgetStatus, period: "day" | "week" | "month"): string {
  const tr = translator(locale);
  const lines = [
    tr("quota.budgetTitle", { userId, period: tr(`common.thisPeriod.${period}`), source: tr(`quota.source.${s.source}`), limit: usd(s.limitMicros) }),
    tr("quota.left", { bar: budgetBar(s.limitMicros - s.remainingMicros, s.limitMicros), left: usdDown(s.remainingMicros) }),
    tr("quota.usage", { spent: usdUp(s.spentMicros), held: usdUp(s.reservedMicros), inFlight: s.inFlight }),
  ];
  if (s.binding === "guild_cap") lines.push(tr("quota.guildCapBinds", { left: usdDown(s.remainingMicros) }));
  if (s.binding === "spend_cap") lines.push(tr("quota.spendCapBinds", { left: usdDown(s.remainingMicros) }));
  lines.push(tr("quota.resets", { when: `<t:${Math.floor(s.resetAt / 1000)}:R>` }));
  return lines.join("\n");
}
