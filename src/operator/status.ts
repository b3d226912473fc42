import type { GuildCapSetting } from "../quota/budget.js";
import type { OperatorTotals } from "../quota/ledger.js";
import { formatUsd, usdToMicros } from "../seedance/pricing.js";
import type { Services } from "../services.js";

const MAX_SERVERS_SHOWN = 15;

/** "25" → 25 dollars in µ$, "none" → no cap, "default" → null (back to the default); undefined when unreadable. */
export function parseGuildCap(text: string): GuildCapSetting | null | undefined {
  const t = text.trim().toLowerCase().replace(/^\$/, "");
  if (t === "none") return "none";
  if (t === "default") return null;
  if (!/^\d+(\.\d{1,2})?$/.test(t) || Number(t) > 1_000_000) return undefined;
  return usdToMicros(Number(t));
}

const money = (t: OperatorTotals) =>
  `fal billed ${formatUsd(t.billedMicros)} · held ${formatUsd(t.reservedMicros)} · charged ${formatUsd(t.chargedMicros)} · refunded ${formatUsd(t.refundedMicros)}`;
const capText = (micros: number | null, used: number) => (micros === null ? "no cap" : `cap ${formatUsd(micros)} (${formatUsd(Math.max(0, micros - used))} left)`);

/** The operator's view of this period: spending by server, the caps, jobs in flight, the brake. */
export async function renderOperatorStatus(s: Services): Promise<string> {
  const period = s.budget.period();
  const [books, paused, active] = await Promise.all([s.budget.operatorBooks(), s.operator.paused(), s.repo.activeIds()]);
  const used = (t: OperatorTotals) => t.billedMicros + t.reservedMicros;
  const lines = [
    `🛠️ **Operator status** for this ${s.config.quotaPeriod} (${period.key}), resets <t:${Math.floor(period.end / 1000)}:R>`,
    `All servers: ${money(books.total)} · ${capText(s.budget.spendCapMicros, used(books.total))}`,
    paused ? `⏸️ New videos are **paused** since <t:${Math.floor(paused.at / 1000)}:R> by <@${paused.by}>` : "▶️ New videos are accepted",
    `Jobs in flight: ${active.length} · servers served: ${s.operator.serverListOpen ? "every server that invites the bot" : (s.config.allowedGuildIds ?? []).join(", ")}`,
  ];
  const servers = [...books.guilds].sort((a, b) => used(b) - used(a));
  if (servers.length) lines.push(`Servers this ${s.config.quotaPeriod}:`);
  for (const g of servers.slice(0, MAX_SERVERS_SHOWN)) {
    const cap = await s.budget.guildCapFor(g.guildId);
    const name = s.client.guilds.cache.get(g.guildId)?.name ?? "unknown server";
    lines.push(`• ${name} (${g.guildId}): ${money(g)} · ${capText(cap.micros, used(g))}${cap.source === "operator" ? ", set by you" : ""}`);
  }
  if (servers.length > MAX_SERVERS_SHOWN) lines.push(`…and ${servers.length - MAX_SERVERS_SHOWN} more`);
  const text = lines.join("\n");
  return text.length <= 2000 ? text : `${text.slice(0, 1990)}…`;
}
