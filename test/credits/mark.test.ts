import { describe, expect, it } from "vitest";
import { nextMark } from "../../src/credits/index.js";

const HOUR = 3_600_000n << 22n;
const at = (ms: number) => BigInt(ms) << 22n;

describe("where the listing of purchases starts next round", () => {
  it("an hour of ids behind the newest purchase seen, when every one is consumed", () => {
    expect(nextMark("0", at(10 * 3_600_000), null)).toBe((at(10 * 3_600_000) - HOUR).toString());
  });
  it("just below the oldest purchase still unconsumed", () => {
    const open = at(5 * 3_600_000);
    expect(nextMark("0", at(10 * 3_600_000), open)).toBe((open - 1n).toString());
  });
  it("never goes back from where this round started", () => {
    const start = at(9.5 * 3_600_000).toString();
    expect(nextMark(start, at(10 * 3_600_000), null)).toBe(start);
    expect(nextMark(start, BigInt(start), null)).toBe(start); // nothing listed
  });
});
