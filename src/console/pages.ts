import { formatUsd } from "../seedance/index.js";
import type { AuditEntry, OperatorTotals } from "./deps.js";
import { html, raw, type Html } from "./html.js";

/** A server as the console shows it: its name (when the bot sees it) and its books. */
export interface ServerRow {
  guildId: string;
  name: string | null;
  books: OperatorTotals;
  /** What the cap counts (the budget-funded part of bills and holds). */
  usedMicros: number;
  capMicros: number | null;
  capSource: "operator" | "default";
  allowed: boolean;
}

export interface JobRow {
  at: number;
  guildId: string | null;
  guildName: string | null;
  userId: string;
  userName: string | null;
  state: string;
  costMicros: number | null;
  prompt: string;
  link: string | null;
}

const usd = (micros: number | null) => (micros === null ? "no cap" : formatUsd(micros));
const when = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`;
const server = (id: string | null, name: string | null) => (name ? html`${name} <small>${id}</small>` : html`${id ?? "DM"}`);

export function overviewPage(o: { period: string; total: OperatorTotals; usedMicros: number; spendCapMicros: number | null; servers: ServerRow[]; paused: { by: string; at: number } | null; chart: string; csrf: string }): Html {
  const pause = o.paused
    ? html`<p class="paused">New videos are <strong>paused</strong> since ${when(o.paused.at)} (by ${o.paused.by}).</p>
<form method="post" action="/console/resume" class="inline">${csrfField(o.csrf)}<button type="submit">Resume new videos</button></form>`
    : html`<p class="running">New videos are <strong>running</strong>.</p>
<form method="post" action="/console/pause" class="inline">${csrfField(o.csrf)}<button type="submit">Pause new videos</button></form>`;
  const over = o.spendCapMicros !== null && o.usedMicros >= o.spendCapMicros;
  return html`<section aria-label="Pause">${pause}</section>
<p>This period (${o.period}): fal billed <strong>${formatUsd(o.total.billedMicros)}</strong>, held ${formatUsd(o.total.reservedMicros)};
counted on the overall cap <span class="${over ? "over" : ""}">${formatUsd(o.usedMicros)} of ${usd(o.spendCapMicros)}</span>.</p>
<figure>${raw(o.chart)}<figcaption>What fal billed per day over the last 30 days, by server.</figcaption></figure>
<div class="table"><table><caption>Spending by server this period</caption>
<thead><tr><th>Server</th><th class="num">fal billed</th><th class="num">Held</th><th class="num">Charged</th><th class="num">Refunded</th><th class="num">Paid by credits</th><th class="num">On the cap</th><th class="num">Cap</th></tr></thead>
<tbody>${o.servers.map((s) => serverBooksRow(s))}</tbody></table></div>`;
}

function serverBooksRow(s: ServerRow): Html {
  const over = s.capMicros !== null && s.usedMicros >= s.capMicros;
  return html`<tr><td>${server(s.guildId, s.name)}</td><td class="num">${formatUsd(s.books.billedMicros)}</td><td class="num">${formatUsd(s.books.reservedMicros)}</td>
<td class="num">${formatUsd(s.books.chargedMicros)}</td><td class="num">${formatUsd(s.books.refundedMicros)}</td><td class="num">${formatUsd(s.books.creditChargedMicros)}</td>
<td class="num${over ? " over" : ""}">${formatUsd(s.usedMicros)}</td><td class="num">${usd(s.capMicros)}${s.capSource === "default" ? " (default)" : ""}</td></tr>`;
}

export function jobsPage(o: { jobs: JobRow[]; guilds: Array<{ id: string; name: string | null }>; states: readonly string[]; filter: { guild: string; state: string }; page: number; more: boolean }): Html {
  const link = (page: number) => `/console/jobs?${new URLSearchParams({ ...(o.filter.guild ? { guild: o.filter.guild } : {}), ...(o.filter.state ? { state: o.filter.state } : {}), page: String(page) })}`;
  return html`<form method="get" action="/console/jobs" class="filters">
<label>Server <select name="guild"><option value="">all</option>${o.guilds.map((g) => html`<option value="${g.id}"${g.id === o.filter.guild ? raw(" selected") : ""}>${g.name ?? g.id}</option>`)}</select></label>
<label>State <select name="state"><option value="">any</option>${o.states.map((s) => html`<option${s === o.filter.state ? raw(" selected") : ""}>${s}</option>`)}</select></label>
<button type="submit">Show</button></form>
<div class="table"><table><caption>Latest jobs, newest first (page ${o.page})</caption>
<thead><tr><th>Time</th><th>Server</th><th>Member</th><th>State</th><th class="num">Cost</th><th>Prompt</th><th>Result</th></tr></thead>
<tbody>${o.jobs.length ? o.jobs.map((j) => html`<tr><td>${when(j.at)}</td><td>${server(j.guildId, j.guildName)}</td><td>${j.userName ?? j.userId}</td><td>${j.state}</td>
<td class="num">${j.costMicros === null ? "" : formatUsd(j.costMicros)}</td><td class="prompt">${j.prompt}</td><td>${j.link ? html`<a href="${j.link}">open</a>` : ""}</td></tr>`) : html`<tr><td colspan="7">No jobs.</td></tr>`}</tbody></table></div>
<nav class="pager" aria-label="Pages">${o.page > 1 ? html`<a href="${link(o.page - 1)}">Newer</a>` : ""}${o.more ? html`<a href="${link(o.page + 1)}">Older</a>` : ""}</nav>`;
}

export function serversPage(o: { servers: ServerRow[]; allowList: boolean; csrf: string; notice: string | null }): Html {
  return html`${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ""}
<p>${o.allowList ? "Only servers on ALLOWED_GUILD_IDS may make videos." : "ALLOWED_GUILD_IDS is not set: every server the bot is in may make videos, within the caps."}</p>
<div class="table"><table><caption>Servers</caption>
<thead><tr><th>Server</th><th>Allowed</th><th class="num">On the cap</th><th class="num">Cap</th><th>Set the cap (an amount, none or default)</th></tr></thead>
<tbody>${o.servers.map((s) => html`<tr><td>${server(s.guildId, s.name)}</td><td>${s.allowed ? "yes" : "no"}</td><td class="num">${formatUsd(s.usedMicros)}</td>
<td class="num">${usd(s.capMicros)}${s.capSource === "default" ? " (default)" : ""}</td>
<td><form method="post" action="/console/servers/${s.guildId}/cap" class="inline">${csrfField(o.csrf)}<label>Cap for ${s.name ?? s.guildId} <input type="text" name="cap" required maxlength="12" placeholder="25.00"></label><button type="submit">Set</button></form></td></tr>`)}</tbody></table></div>`;
}

export function auditPage(o: { entries: AuditEntry[]; names: Map<string, string>; page: number; more: boolean }): Html {
  const what = (e: AuditEntry) => (e.action === "cap" ? `cap of ${o.names.get(e.guildId ?? "") ?? e.guildId} set to ${e.detail}` : e.action === "pause" ? "paused new videos" : "resumed new videos");
  return html`<div class="table"><table><caption>Every operator action, newest first</caption>
<thead><tr><th>When</th><th>Who</th><th>What</th><th>From</th></tr></thead>
<tbody>${o.entries.length ? o.entries.map((e) => html`<tr><td>${when(e.at)}</td><td>${o.names.get(e.by) ?? e.by}</td><td>${what(e)}</td><td>${e.from === "console" ? `the console${e.address ? ` (${e.address})` : ""}` : "/operator in Discord"}</td></tr>`) : html`<tr><td colspan="4">No actions yet.</td></tr>`}</tbody></table></div>
<nav class="pager" aria-label="Pages">${o.page > 1 ? html`<a href="/console/audit?page=${o.page - 1}">Newer</a>` : ""}${o.more ? html`<a href="/console/audit?page=${o.page + 1}">Older</a>` : ""}</nav>`;
}
