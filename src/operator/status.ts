import type { GuildCapSetting } from "../quota/index.js";
import type { OperatorTotals } from "../quota/index.js";
import { givenAway } from "../quota/index.js";
import { translator, usdDown, usdUp } from "../i18n/index.js";
import { usdToMicros } from "../seedance/index.js";
import type { Client } from "discord.js";
import type { Config } from "../config/index.js";
import type { Budget } from "../quota/index.js";
import type { JobRepository } from "../jobs/index.js";
import type { Operator } from "./operator.js";
import type { SlotPool } from "../queue/index.js";

/** What the status view reads: the books, the pause, the jobs in flight and the servers' names. */
export interface StatusDeps {
  config: Pick<Config, "quotaPeriod" | "allowedGuildIds" | "creditPacks">;
  budget: Budget;
  operator: Operator;
  repo: Pick<JobRepository, "activeIds">;
  client: Client;
  /** The fal slots' queue (every process's, on Redis). */
  falSlots: SlotPool;
}

const MAX_SERVERS_SHOWN = 15;
const QUEUE_SERVERS_SHOWN = 5;

/** "25" → 25 dollars in µ$, "none" → no cap, "default" → null (back to the default); undefined when unreadable. */
export function parseGuildCap(text: string): GuildCapSetting | null | undefined {
  const t = text.trim().toLowerCase().replace(/^\$/, "");
  if (t === "none") return "none";
  if (t === "default") return null;
  if (!/^\d+(\.\d{1,2})?$/.test(t) || Number(t) > 1_000_000) return undefined;
  return usdToMicros(Number(t));
}

/** The operator's view of this period: spending by server, the caps, jobs in flight, the brake. */
export async function renderOperatorStatus(s: StatusDeps, locale: string): Promise<string> {
  const tr = translator(locale);
  const period = s.budget.period();
  const [books, paused, active, credits, waiting] = await Promise.all([
    s.budget.operatorBooks(),
    s.operator.paused(),
    s.repo.activeIds(),
    s.config.creditPacks.length ? s.budget.creditBooks() : null,
    s.falSlots.waitingByGuild(),
  ]);
  // the caps bind on what the operator gives away: credits pay the rest
  const used = givenAway;
  const money = (t: OperatorTotals) => tr("operator.money", { billed: usdUp(t.billedMicros), held: usdUp(t.reservedMicros), charged: usdUp(t.chargedMicros), refunded: usdUp(t.refundedMicros) });
  const capText = (micros: number | null, spent: number) => (micros === null ? tr("operator.noCap") : tr("operator.cap", { cap: usdUp(micros), left: usdDown(Math.max(0, micros - spent)) }));
  const thisPeriod = tr(`common.thisPeriod.${s.config.quotaPeriod}`);
  const lines = [
    tr("operator.statusTitle", { period: thisPeriod, key: period.key, resets: `<t:${Math.floor(period.end / 1000)}:R>` }),
    tr("operator.allServers", { money: money(books.total), cap: capText(s.budget.spendCapMicros, used(books.total)) }),
    ...(credits
      ? [tr("operator.credits", { sold: usdDown(credits.soldMicros), spent: usdUp(credits.spentMicros), paid: usdUp(books.total.creditReservedMicros + books.total.creditBilledMicros), revoked: usdDown(credits.revokedMicros), outstanding: usdDown(credits.outstandingMicros) })]
      : []),
    paused ? tr("operator.pausedSince", { since: `<t:${Math.floor(paused.at / 1000)}:R>`, userId: paused.by }) : tr("operator.accepting"),
    tr("operator.inFlight", { n: active.length, servers: s.operator.serverListOpen ? tr("operator.everyServer") : (s.config.allowedGuildIds ?? []).join(", ") }),
  ];
  lines.push(...queueLines(waiting, s.client, tr));
  const servers = [...books.guilds].sort((a, b) => used(b) - used(a));
  if (servers.length) lines.push(tr("operator.serversHeading", { period: thisPeriod }));
  for (const g of servers.slice(0, MAX_SERVERS_SHOWN)) {
    const cap = await s.budget.guildCapFor(g.guildId);
    const name = s.client.guilds.cache.get(g.guildId)?.name ?? tr("operator.unknownServer");
    lines.push(tr("operator.serverLine", { name, guildId: g.guildId, money: money(g), cap: `${capText(cap.micros, used(g))}${cap.source === "operator" ? tr("operator.setByYou") : ""}` }));
  }
  if (servers.length > MAX_SERVERS_SHOWN) lines.push(tr("operator.more", { n: servers.length - MAX_SERVERS_SHOWN }));
  const text = lines.join("\n");
  return text.length <= 2000 ? text : `${text.slice(0, 1990)}…`;
}

/** The bot's queue for fal slots by server: the busiest few, the rest summed. */
function queueLines(waiting: Map<string, number>, client: Client, tr: ReturnType<typeof translator>): string[] {
  const busiest = [...waiting].sort(([, a], [, b]) => b - a);
  const total = busiest.reduce((sum, [, n]) => sum + n, 0);
  if (!total) return [tr("operator.queueEmpty")];
  const lines = [tr("operator.queueHeading", { n: total })];
  for (const [guildId, n] of busiest.slice(0, QUEUE_SERVERS_SHOWN)) {
    const name = client.guilds.cache.get(guildId)?.name ?? tr("operator.unknownServer");
    lines.push(tr("operator.queueLine", { name, guildId, n }));
  }
  const rest = busiest.slice(QUEUE_SERVERS_SHOWN);
  if (rest.length) lines.push(tr("operator.queueOthers", { servers: rest.length, n: rest.reduce((sum, [, n]) => sum + n, 0) }));
  return lines;
}
