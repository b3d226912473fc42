import { describe, expect, it } from "vitest";
import { dailySpendChart, type DaySpend, topServers } from "../../src/console/chart.js";

// 30 consecutive UTC days ending 2026-11-30, as the console's route builds them.
const DAYS = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2026, 10, 1 + i)).toISOString().slice(0, 10));
const $ = (usd: number): number => Math.round(usd * 1e6);
const spend = (day: string, guildId: string, usd: number): DaySpend => ({ day, guildId, micros: $(usd) });

interface Rect { x: number; y: number; width: number; height: number; fill: string; title: string }

function attrs(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([\w:-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** The data rects, in document order, with their titles (entities decoded). */
function bars(svg: string): Rect[] {
  return [...svg.matchAll(/<rect class="bar"([^>]*)><title>([^<]*)<\/title><\/rect>/g)].map((m) => {
    const a = attrs(m[1]!);
    return { x: +a.x!, y: +a.y!, width: +a.width!, height: +a.height!, fill: a.fill!, title: unescape(m[2]!) };
  });
}

function unescape(s: string): string {
  return s.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: "<", gt: ">", quot: '"', "#39": "'", amp: "&" })[e]!);
}

/** "$0" / "$7.50" / "$12" / "$1.2k" / "$2.5M" back to dollars. */
function dollars(label: string): number {
  const m = /^\$(\d+(?:\.\d+)?)([kM]?)$/.exec(label);
  if (!m) throw new Error(`not a tick label: ${label}`);
  return +m[1]! * (m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : 1);
}

/** The y ticks: label, value and the gridline's y, bottom first. */
function ticks(svg: string): { label: string; value: number; y: number }[] {
  const lines = [...svg.matchAll(/<line class="grid"([^>]*)\/>/g)].map((m) => +attrs(m[1]!).y1!);
  const labels = [...svg.matchAll(/<text class="ytick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
  expect(lines).toHaveLength(labels.length);
  return labels.map((label, i) => ({ label, value: dollars(label), y: lines[i]! }));
}

/**
 * A small XML well-formedness check: one root, tags balanced and properly nested, attributes
 * quoted and unique, no raw "<" in text or attributes, and "&" only as an entity.
 */
function assertWellFormed(xml: string): void {
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const checkText = (t: string, where: string) => {
    if (t.includes("<")) throw new Error(`raw < in ${where}: ${t}`);
    if (t.replace(entity, "").includes("&")) throw new Error(`bare & in ${where}: ${t}`);
  };
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  while (i < xml.length) {
    if (xml[i] !== "<") {
      const next = xml.indexOf("<", i);
      const text = xml.slice(i, next === -1 ? xml.length : next);
      if (stack.length === 0 && text.trim()) throw new Error(`text outside the root: ${text}`);
      checkText(text, "text");
      i = next === -1 ? xml.length : next;
      continue;
    }
    const close = /^<\/([A-Za-z][\w:.-]*)\s*>/.exec(xml.slice(i));
    if (close) {
      if (stack.pop() !== close[1]) throw new Error(`unbalanced </${close[1]}> at ${i}`);
      i += close[0].length;
      continue;
    }
    const open = /^<([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(xml.slice(i));
    if (!open) throw new Error(`malformed tag at ${i}: ${xml.slice(i, i + 40)}`);
    if (stack.length === 0 && roots++ > 0) throw new Error("more than one root element");
    const seen = new Set<string>();
    for (const a of open[2]!.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      if (seen.has(a[1]!)) throw new Error(`duplicate attribute ${a[1]}`);
      seen.add(a[1]!);
      checkText(a[2] ?? a[3]!, `attribute ${a[1]}`);
    }
    if (!open[3]) stack.push(open[1]!);
    i += open[0].length;
  }
  if (stack.length) throw new Error(`unclosed <${stack.join("><")}>`);
  if (roots !== 1) throw new Error("no root element");
}

const NAMES = new Map([["a", "Alpha"], ["b", "Beta"], ["c", "Gamma"], ["d", "Delta"]]);

describe("the well-formedness check itself", () => {
  it("rejects what is not XML", () => {
    expect(() => assertWellFormed("<svg><g></svg>")).toThrow();
    expect(() => assertWellFormed("<svg><text>a < b</text></svg>")).toThrow();
    expect(() => assertWellFormed("<svg><text>a & b</text></svg>")).toThrow();
    expect(() => assertWellFormed('<svg a="1" a="2"></svg>')).toThrow();
    expect(() => assertWellFormed('<svg a="<"></svg>')).toThrow();
    expect(() => assertWellFormed("<svg/><svg/>")).toThrow();
    expect(() => assertWellFormed('<svg a="x"><g><title>&amp;&#39;</title></g><rect/></svg>')).not.toThrow();
  });
});

describe("dailySpendChart", () => {
  it("stacks the largest server (over the period) at the bottom, heights proportional to amounts", () => {
    // Beta spends most on day 1, but Alpha most over the period: Alpha is at the bottom everywhere.
    const svg = dailySpendChart(
      [spend(DAYS[0]!, "b", 3), spend(DAYS[0]!, "a", 1), spend(DAYS[0]!, "c", 2), spend(DAYS[1]!, "a", 9), spend(DAYS[0]!, "c", 0.5)],
      { days: DAYS, names: NAMES },
    );
    const t = ticks(svg);
    const baseline = t[0]!.y;
    const perDollar = (baseline - t[t.length - 1]!.y) / t[t.length - 1]!.value;
    const day1 = bars(svg).filter((r) => r.title.includes(DAYS[0]!));
    expect(day1.map((r) => r.title.split(" — ")[0])).toEqual(["Alpha", "Beta", "Gamma"]);
    // Each segment sits on the one below it, the first on the baseline.
    let top = baseline;
    for (const r of day1) {
      expect(r.y + r.height).toBeCloseTo(top, 5);
      top = r.y;
    }
    // Heights follow the dollars (Gamma's two jobs add up to $2.50), within the 0.1 rounding.
    const usd = [1, 3, 2.5];
    day1.forEach((r, i) => expect(Math.abs(r.height - usd[i]! * perDollar)).toBeLessThanOrEqual(0.1));
    expect(day1[1]!.height / day1[0]!.height).toBeCloseTo(3, 1);
    // The same x for a day's segments, a later x for the next day; days with nothing draw nothing.
    expect(new Set(day1.map((r) => r.x)).size).toBe(1);
    const all = bars(svg);
    expect(all).toHaveLength(4);
    expect(all[3]!.x).toBeGreaterThan(day1[0]!.x);
    expect(all.every((r) => r.height > 0 && r.width > 0)).toBe(true);
    // The tallest day ($9) fits under the top tick.
    expect(baseline - all[3]!.y).toBeLessThanOrEqual(baseline - t[t.length - 1]!.y + 0.1);
  });

  it("gives the top N their own colour and stacks the rest as Other", () => {
    const data = [spend(DAYS[5]!, "a", 4), spend(DAYS[5]!, "b", 3), spend(DAYS[5]!, "c", 1.25), spend(DAYS[5]!, "d", 0.5), spend(DAYS[6]!, "d", 2)];
    expect(topServers(data, 2)).toEqual(["a", "b"]);
    const svg = dailySpendChart(data, { days: DAYS, names: NAMES, top: 2 });
    const day = bars(svg).filter((r) => r.title.includes(DAYS[5]!));
    expect(day.map((r) => r.title)).toEqual([`Alpha — ${DAYS[5]}: $4.00`, `Beta — ${DAYS[5]}: $3.00`, `Other — ${DAYS[5]}: $1.75`]);
    expect(new Set(day.map((r) => r.fill)).size).toBe(3);
    const legend = [...svg.matchAll(/<g class="key"><title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(legend).toEqual(["Alpha", "Beta", "Other"]);
    // No "Other" when everyone fits.
    const all = dailySpendChart(data, { days: DAYS, names: NAMES });
    expect(all).not.toContain("Other");
    expect([...all.matchAll(/<g class="key">/g)]).toHaveLength(4);
  });

  it("orders topServers by total, ties by id", () => {
    const data = [spend(DAYS[0]!, "z", 1), spend(DAYS[0]!, "m", 2), spend(DAYS[1]!, "z", 1), spend(DAYS[0]!, "b", 2), spend(DAYS[0]!, "q", 0.5)];
    expect(topServers(data, 5)).toEqual(["b", "m", "z", "q"]);
    expect(topServers(data, 2)).toEqual(["b", "m"]);
    expect(topServers(data, 0)).toEqual([]);
  });

  it("escapes hostile names and ids, and keeps emoji", () => {
    const hostile = `<script>&"'`;
    const names = new Map([["a", hostile], ["b", "Café 🎬 <b>"]]);
    const svg = dailySpendChart(
      [spend(DAYS[0]!, "a", 1), spend(DAYS[0]!, "b", 2), spend(DAYS[0]!, `"><script>alert(1)</script>`, 3), spend(DAYS[1]!, "ctl\u0001\uD800", 1)],
      { days: DAYS, names },
    );
    expect(svg).not.toMatch(/<script/i);
    expect(svg).not.toContain("<b>");
    expect(svg).toContain("&lt;script&gt;&amp;&quot;&#39;");
    expect(svg).toContain("🎬");
    expect(svg).not.toMatch(/[\u0001\uD800](?![\uDC00-\uDFFF])/);
    expect(() => assertWellFormed(svg)).not.toThrow();
    expect(bars(svg).map((r) => r.title)).toContain(`${hostile} — ${DAYS[0]}: $1.00`);
  });

  it("shortens long names in the legend without cutting an emoji, keeping the full name in its title", () => {
    const long = `${"x".repeat(21)}🎬🎬🎬🎬`; // 25 code points; a 720-wide legend of 1 item fits 23
    const svg = dailySpendChart([spend(DAYS[0]!, "a", 1)], { days: DAYS, names: new Map([["a", long]]) });
    const key = /<g class="key"><title>([^<]*)<\/title><rect[^>]*\/><text[^>]*>([^<]*)<\/text><\/g>/.exec(svg);
    expect(key?.[1]).toBe(long);
    expect(key?.[2]).toBe(`${"x".repeat(21)}🎬…`);
  });

  it("uses no inline style (the CSP would drop it)", () => {
    const outputs = [
      dailySpendChart([spend(DAYS[0]!, "a", 1), spend(DAYS[3]!, "b", 2)], { days: DAYS, names: NAMES }),
      dailySpendChart([], { days: DAYS, names: NAMES }),
    ];
    for (const svg of outputs) {
      expect(svg).not.toMatch(/style\s*=/i);
      expect(svg).not.toMatch(/<style/i);
      expect(svg).not.toMatch(/<script|on\w+=/i);
    }
  });

  it("says so when there is nothing to show", () => {
    const empty = dailySpendChart([], { days: DAYS, names: NAMES });
    const outside = dailySpendChart([spend("2026-10-31", "a", 5), spend(DAYS[0]!, "a", 0)], { days: DAYS, names: NAMES });
    for (const svg of [empty, outside]) {
      expect(svg).toMatch(/^<svg [^>]*>.*<\/svg>$/s);
      expect(svg).toContain("No spending in the last 30 days");
      expect(svg).not.toContain("<rect");
      expect(svg).toContain('role="img"');
      expect(() => assertWellFormed(svg)).not.toThrow();
    }
  });

  it("titles every data rect and labels the whole chart", () => {
    const data = [spend("2026-11-03", "a", 1.53), spend("2026-11-03", "zz", 0.004), spend("2026-11-20", "b", 1234.5)];
    const svg = dailySpendChart(data, { days: DAYS, names: NAMES });
    const rects = svg.match(/<rect class="bar"[^>]*>/g) ?? [];
    expect(rects).toHaveLength(3);
    expect(bars(svg)).toHaveLength(3); // every data rect has a <title> child
    expect(bars(svg).map((r) => r.title)).toEqual(["Alpha — 2026-11-03: $1.53", "zz — 2026-11-03: <$0.01", "Beta — 2026-11-20: $1,234.50"]);
    const root = attrs(/^<svg[^>]*>/.exec(svg)![0]);
    expect(root.role).toBe("img");
    expect(root["aria-label"]).toBe("Daily spend, last 30 days: $1,236.03 in all");
    expect(root.viewBox).toBe("0 0 720 260");
    expect(root.width).toBe("100%");
    // x labels: every 5th day counted back from the last, the last included.
    const x = [...svg.matchAll(/<text class="xtick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(x).toEqual(["11-05", "11-10", "11-15", "11-20", "11-25", "11-30"]);
  });

  it("puts 3–5 round ticks on the y axis, covering the tallest day", () => {
    const round = (step: number) => {
      const p = 10 ** Math.floor(Math.log10(step));
      return [1, 2, 2.5, 5].some((m) => Math.abs(step / p - m) < 1e-9);
    };
    for (const max of [0.004, 0.2, 0.99, 1, 1.01, 1.5, 9, 15, 99.99, 1234, 4567.89, 123456]) {
      const svg = dailySpendChart([spend(DAYS[10]!, "a", max * 0.4), spend(DAYS[10]!, "b", max * 0.6), spend(DAYS[11]!, "a", max / 3)], { days: DAYS, names: NAMES });
      const t = ticks(svg);
      expect(t.length, `max ${max}`).toBeGreaterThanOrEqual(3);
      expect(t.length, `max ${max}`).toBeLessThanOrEqual(5);
      expect(t[0]!.value).toBe(0);
      const step = t[1]!.value;
      expect(round(step), `step ${step} for max ${max}`).toBe(true);
      t.forEach((tick, i) => expect(tick.value).toBeCloseTo(i * step, 9));
      expect(t[t.length - 1]!.value, `max ${max}`).toBeGreaterThanOrEqual(max * (1 - 1e-9));
      expect(t[t.length - 2]!.value, `max ${max}`).toBeLessThan(max); // not one tick too many
      // Gridlines go up the page as values grow.
      t.slice(1).forEach((tick, i) => expect(tick.y).toBeLessThan(t[i]!.y));
    }
    const labels = (max: number) => ticks(dailySpendChart([spend(DAYS[0]!, "a", max)], { days: DAYS, names: NAMES })).map((t) => t.label);
    expect(labels(15)).toEqual(["$0", "$5", "$10", "$15"]);
    expect(labels(1.4)).toEqual(["$0", "$0.50", "$1.00", "$1.50"]);
    expect(labels(4800)).toEqual(["$0", "$2k", "$4k", "$6k"]);
    expect(labels(1100)).toEqual(["$0", "$500", "$1k", "$1.5k"]);
  });

  it("is well-formed XML, deterministic, with coordinates of at most 1 decimal", () => {
    const data = [
      spend(DAYS[0]!, "a", 1.234567),
      spend(DAYS[2]!, "b", 7.777),
      spend(DAYS[2]!, "c", 0.333),
      spend(DAYS[29]!, "d", 2),
      spend(DAYS[29]!, "e", 1 / 3),
      spend(DAYS[17]!, "f", 0.000001),
    ];
    const o = { days: DAYS, names: NAMES, top: 3, width: 333, height: 177 };
    const svg = dailySpendChart(data, o);
    expect(() => assertWellFormed(svg)).not.toThrow();
    expect(dailySpendChart(data, o)).toBe(svg);
    expect(dailySpendChart([...data].reverse(), o)).toBe(svg);
    for (const m of svg.matchAll(/\s(x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g)) {
      if (m[2] === "100%") continue;
      expect(m[2], `${m[1]}="${m[2]}"`).toMatch(/^-?\d+(\.\d)?$/);
    }
    expect(bars(svg).every((r) => r.height > 0)).toBe(true); // even the one-micro-dollar sliver
  });
});
