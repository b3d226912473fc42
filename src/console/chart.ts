// What fal billed per day over the last 30 days, stacked by server, as an inline SVG for the
// operator's console. Pure (no I/O, no dependencies) and script-free. The console's CSP
// (style-src 'self') drops style="…" attributes and <style> elements, so everything here is
// drawn with presentation attributes only; text and axes use currentColor to follow the page's
// light or dark scheme.

export interface DaySpend {
  day: string; // "YYYY-MM-DD" (UTC)
  guildId: string;
  micros: number; // µ$ = USD × 1e6
}

export interface ChartOptions {
  days: string[]; // the x axis, oldest first
  names: Map<string, string>; // guildId → display name (missing: the id is shown)
  top?: number; // servers with their own colour (default 5, at most PALETTE.length); the rest is "Other"
  width?: number; // viewBox size
  height?: number;
}

// Okabe–Ito: tells apart under the common colour-vision deficiencies. Its black is left out so
// bars stay visible on a dark page; grey is reserved for "Other".
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442"];
const OTHER = "#999999";

/** Guild ids by total spend, largest first, ties by id (code-unit order: locale-independent). */
export function topServers(spend: DaySpend[], top: number): string[] {
  const totals = new Map<string, number>();
  for (const s of spend) if (counts(s)) totals.set(s.guildId, (totals.get(s.guildId) ?? 0) + s.micros);
  return [...totals]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, Math.max(0, Math.floor(top)))
    .map(([id]) => id);
}

/** The chart as "<svg …>…</svg>"; the same input always gives the same string. */
export function dailySpendChart(spend: DaySpend[], o: ChartOptions): string {
  const W = o.width ?? 720;
  const H = o.height ?? 260;
  const n = o.days.length;
  const column = new Map(o.days.map((d, i) => [d, i]));
  // Refunds, NaN and days off the axis would make bars lie; they are left out.
  const shown = spend.filter((s) => counts(s) && column.has(s.day));
  const total = shown.reduce((t, s) => t + s.micros, 0);
  const period = `last ${n} days`;
  const open = (label: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(label)}" font-family="system-ui, sans-serif" font-size="11" fill="currentColor">`;
  if (total <= 0) {
    const msg = `No spending in the ${period}`;
    return `${open(msg)}<text x="${r1(W / 2)}" y="${r1(H / 2)}" text-anchor="middle" font-size="14">${esc(msg)}</text></svg>`;
  }

  // One row per day, one cell per top server, the last cell for "Other".
  const ids = topServers(shown, Math.min(o.top ?? 5, PALETTE.length));
  const slot = new Map(ids.map((id, i) => [id, i]));
  const grid = o.days.map(() => new Array<number>(ids.length + 1).fill(0));
  for (const s of shown) grid[column.get(s.day)!]![slot.get(s.guildId) ?? ids.length]! += s.micros;
  const series = ids.map((id, i) => ({ label: o.names.get(id) ?? id, colour: PALETTE[i]! }));
  if (grid.some((row) => row[ids.length]! > 0)) series.push({ label: "Other", colour: OTHER });

  // The plot sits between the y labels (left) and the x labels and legend (bottom).
  const left = 52, right = 8, top = 10, bottom = H - 46;
  const plotW = W - left - right;
  const ticks = niceTicks(Math.max(...grid.map((row) => row.reduce((a, b) => a + b, 0))) / 1e6);
  const perDollar = (bottom - top) / ticks[ticks.length - 1]!;
  const out = [open(`Daily spend, ${period}: ${money(total)} in all`)];

  const decimals = tickDecimals(ticks[1]!);
  for (const t of ticks) {
    const y = r1(bottom - t * perDollar);
    out.push(`<line class="grid" x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" stroke="currentColor" stroke-opacity="${t === 0 ? 0.6 : 0.15}"/>`);
    out.push(`<text class="ytick" x="${left - 6}" y="${r1(y + 4)}" text-anchor="end">${tickLabel(t, decimals)}</text>`);
  }

  // Bars: segments stacked from the baseline in series order (largest server first). Heights are
  // rounded one by one and stacked, so segments touch exactly; a sliver still gets 0.1 so its
  // hover title stays reachable. Empty cells draw nothing.
  const step = plotW / n;
  const barW = r1(step * 0.7);
  o.days.forEach((day, i) => {
    const x = r1(left + i * step + step * 0.15);
    let stacked = 0;
    grid[i]!.forEach((m, k) => {
      if (m <= 0) return;
      const h = Math.max(0.1, r1((m / 1e6) * perDollar));
      stacked = r1(stacked + h);
      const s = series[k]!;
      out.push(`<rect class="bar" x="${x}" y="${r1(bottom - stacked)}" width="${barW}" height="${r1(h)}" fill="${s.colour}"><title>${esc(`${s.label} — ${day}: ${money(m)}`)}</title></rect>`);
    });
    // Every 5th day counted back from the last, so the last day is always labelled.
    if ((n - 1 - i) % 5 === 0) {
      out.push(`<text class="xtick" x="${r1(left + (i + 0.5) * step)}" y="${bottom + 14}" text-anchor="middle">${esc(day.slice(5))}</text>`);
    }
  });

  // Legend: a swatch and the name, shortened to fit its share of the width (the full name is in
  // the group's <title>).
  const itemW = Math.min(160, plotW / series.length);
  const chars = Math.max(3, Math.floor((itemW - 18) / 6));
  series.forEach((s, k) => {
    const x = r1(left + k * itemW);
    out.push(
      `<g class="key"><title>${esc(s.label)}</title><rect x="${x}" y="${H - 20}" width="10" height="10" fill="${s.colour}"/>` +
        `<text x="${r1(x + 14)}" y="${H - 11}">${esc(shorten(s.label, chars))}</text></g>`,
    );
  });
  out.push("</svg>");
  return out.join("");
}

const counts = (s: DaySpend): boolean => Number.isFinite(s.micros) && s.micros > 0;

/** Coordinates with at most one decimal: short, and stable across platforms. */
const r1 = (v: number): number => Math.round(v * 10) / 10;

/** 0 and steps of 1, 2, 2.5 or 5 × 10^k up to the first at or above max: 4–5 round ticks. */
function niceTicks(max: number): number[] {
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw * (1 - 1e-9))!;
  const count = Math.ceil(max / step - 1e-9);
  // toPrecision strips float noise (0.30000000000000004) so labels and positions are exact.
  return Array.from({ length: count + 1 }, (_, i) => +(i * step).toPrecision(12));
}

/** Decimals the step needs: none for whole dollars, else at least cents ($2.50, not $2.5). */
function tickDecimals(step: number): number {
  let d = 0;
  while (d < 8 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6) d++;
  return d === 0 ? 0 : Math.max(2, d);
}

/** "$0", "$12", "$7.50", "$1.2k", "$2.5M". */
function tickLabel(v: number, decimals: number): string {
  if (v >= 1e6) return `$${+(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `$${+(v / 1e3).toFixed(2)}k`;
  return `$${v === 0 ? 0 : v.toFixed(decimals)}`;
}

/** "$1,234.56"; amounts under a cent say so instead of showing "$0.00". */
function money(micros: number): string {
  const usd = micros / 1e6;
  if (usd > 0 && usd < 0.01) return "<$0.01";
  return `$${usd.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`;
}

/** At most `max` code points, so an emoji is never cut in half. */
function shorten(s: string, max: number): string {
  const cps = Array.from(s);
  return cps.length <= max ? s : `${cps.slice(0, max - 1).join("")}…`;
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Safe in XML text and quoted attributes. Names come from Discord and may hold anything,
 * including characters XML 1.0 cannot carry at all (controls, lone surrogates): those go. */
function esc(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "")
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}
