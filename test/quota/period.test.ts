import { describe, expect, it } from "vitest";
import { periodOf } from "../../src/quota/period.js";

describe("budget periods (UTC calendar)", () => {
  it("days reset at midnight UTC", () => {
    const p = periodOf("day", Date.UTC(2026, 10, 24, 23, 59, 59));
    expect(p.key).toBe("2026-11-24");
    expect(p.end).toBe(Date.UTC(2026, 10, 25));
    expect(periodOf("day", Date.UTC(2026, 10, 25)).key).toBe("2026-11-25");
  });

  it("weeks run Monday to Sunday with ISO numbers, across a new year", () => {
    const tue = periodOf("week", Date.UTC(2026, 10, 24, 12));
    expect(tue.key).toBe("2026-W48");
    expect(tue.start).toBe(Date.UTC(2026, 10, 23));
    expect(tue.end).toBe(Date.UTC(2026, 10, 30));
    expect(periodOf("week", Date.UTC(2026, 10, 29, 23)).key).toBe("2026-W48");
    expect(periodOf("week", Date.UTC(2026, 10, 30)).key).toBe("2026-W49");
    // 1 January 2027 is a Friday: it belongs to 2026's week 53
    expect(periodOf("week", Date.UTC(2027, 0, 1)).key).toBe("2026-W53");
    expect(periodOf("week", Date.UTC(2027, 0, 4)).key).toBe("2027-W01");
  });

  it("months reset on the first, December rolls into January", () => {
    const dec = periodOf("month", Date.UTC(2026, 11, 31, 23));
    expect(dec.key).toBe("2026-12");
    expect(dec.end).toBe(Date.UTC(2027, 0, 1));
  });
});
