/** Calendar budget periods in UTC: a day, an ISO week (from Monday) or a month. */
export type QuotaPeriod = "day" | "week" | "month";

export interface PeriodWindow {
  /** Stable name of the period, part of the ledger keys: 2026-11-24, 2026-W48, 2026-11. */
  key: string;
  start: number;
  /** When the budget resets (the next period's start), in ms. */
  end: number;
}

const DAY = 86_400_000;

export function periodOf(period: QuotaPeriod, now: number): PeriodWindow {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === "month") {
    return { key: `${y}-${String(m + 1).padStart(2, "0")}`, start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
  }
  const dayStart = Date.UTC(y, m, d.getUTCDate());
  if (period === "day") {
    return { key: new Date(dayStart).toISOString().slice(0, 10), start: dayStart, end: dayStart + DAY };
  }
  const weekday = (d.getUTCDay() + 6) % 7; // Monday = 0
  const start = dayStart - weekday * DAY;
  // ISO week-numbering year: the year of this week's Thursday
  const thursday = new Date(start + 3 * DAY);
  const isoYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / (7 * DAY)) + 1;
  return { key: `${isoYear}-W${String(week).padStart(2, "0")}`, start, end: start + 7 * DAY };
}
