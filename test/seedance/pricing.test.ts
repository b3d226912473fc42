import { describe, expect, it } from "vitest";
import { billedMicros, costMicros, estimate, formatUsd, FRAME_SIZES, largestFrame, perSecondMicros, RESOLUTIONS, tierOf, unitPriceMicros, type FixedAspectRatio } from "../../src/seedance/pricing.js";
import { money } from "../../src/i18n/index.js";

const standard = tierOf("bytedance/seedance-2.0/image-to-video");
const fast = tierOf("bytedance/seedance-2.0/fast/image-to-video");

// fal.md §2.2: documented $/s and 5 s prices of the standard tier for every frame of the table.
const documented: Record<string, Record<FixedAspectRatio, [perSecond: number, fiveSeconds: number]>> = {
  "480p": { "16:9": [0.14062, 0.7031], "9:16": [0.14062, 0.7031], "21:9": [0.14062, 0.7031], "4:3": [0.13818, 0.6909], "3:4": [0.13818, 0.6909], "1:1": [0.1344, 0.672] },
  "720p": { "16:9": [0.3024, 1.512], "9:16": [0.3024, 1.512], "1:1": [0.3024, 1.512], "4:3": [0.30431, 1.5215], "3:4": [0.30431, 1.5215], "21:9": [0.30388, 1.5194] },
  "1080p": { "16:9": [0.6804, 3.402], "9:16": [0.6804, 3.402], "1:1": [0.6804, 3.402], "4:3": [0.68141, 3.407], "3:4": [0.68141, 3.407], "21:9": [0.68476, 3.4238] },
};

describe("price table", () => {
  for (const resolution of RESOLUTIONS) {
    for (const aspect of Object.keys(FRAME_SIZES[resolution]) as FixedAspectRatio[]) {
      it(`${resolution} ${aspect} costs the documented rate per second, and fal bills one frame more than 24 a second`, () => {
        const [perSecond, five] = documented[resolution]![aspect];
        const frame = FRAME_SIZES[resolution][aspect];
        expect(Math.abs(perSecondMicros(standard, frame) / 1e6 - perSecond)).toBeLessThan(0.000006);
        // 5 s is 121 frames, not 120: the documented 5 s price plus one frame
        expect(Math.abs(costMicros(standard, frame, 5) / 1e6 - (five * 121) / 120)).toBeLessThan(0.00006);
        // whole-number micro-dollars, rounded up so a reservation never falls short
        expect(Number.isInteger(costMicros(standard, frame, 15))).toBe(true);
        expect(costMicros(standard, frame, 15)).toBeGreaterThanOrEqual((frame.width * frame.height * (15 * 24 + 1) * 14) / 1024);
      });
    }
  }

  it("holds what fal's billing records show for 4, 5 and 6 s of 720p 16:9: 87.3, 108.9 and 130.5 units (97, 121, 145 frames)", () => {
    const price = unitPriceMicros(standard);
    for (const [seconds, units] of [["4", 87.3], ["5", 108.9], ["6", 130.5]] as const) {
      const e = estimate(standard, "720p", "16:9", seconds);
      expect(e.micros).toBe(billedMicros(units, price));
      expect(e.micros).toBeGreaterThanOrEqual(billedMicros(units, price)); // the hold covers the bill
    }
  });

  it("shows $1.53 for 5 s of 720p 16:9 ($1.5246, rounded up, never down), $0.3024 per second", () => {
    const e = estimate(standard, "720p", "16:9", "5");
    expect(e.micros).toBe(1_524_600);
    expect(formatUsd(e.micros, "up")).toBe("$1.53");
    expect(money("en-US", e.micros, "up")).toBe("$1.53");
    expect(money("de", e.micros, "up")).toMatch(/^1,53\s\$$/);
    expect(money("en-US", e.micros, "down")).toBe("$1.52");
    expect(perSecondMicros(standard, FRAME_SIZES["720p"]["16:9"])).toBe(302_400);
    expect(e.upTo).toBe(false);
  });

  it("estimates auto duration as 15 s and auto aspect as the tier's largest frame, as a ceiling", () => {
    const e = estimate(standard, "720p", "auto", "auto");
    expect(e.seconds).toBe(15);
    expect(e.frame).toEqual({ width: 1112, height: 834 });
    expect(e.upTo).toBe(true);
    for (const frame of Object.values(FRAME_SIZES["720p"])) {
      expect(e.micros).toBeGreaterThanOrEqual(costMicros(standard, frame, 15));
    }
    expect(largestFrame("480p")).toEqual({ width: 864, height: 496 });
  });

  it("prices the fast tier at $0.0112 per 1000 tokens and limits it to 720p", () => {
    expect(formatUsd(perSecondMicros(fast, FRAME_SIZES["720p"]["16:9"]) * 1000)).toBe("$241.92");
    expect(fast.resolutions).toEqual(["480p", "720p"]);
    expect(standard.resolutions).toContain("1080p");
  });

  it("formats micro-dollars to cents", () => {
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(4_999)).toBe("$0.00");
    expect(formatUsd(5_000)).toBe("$0.01");
    expect(formatUsd(10_206_000)).toBe("$10.21");
    expect(formatUsd(10_200_001, "up")).toBe("$10.21");
    expect(formatUsd(10_209_999, "down")).toBe("$10.20");
    expect(formatUsd(10_200_000, "up")).toBe("$10.20");
  });
});
