import { describe, expect, it } from "vitest";
import { costMicros, estimate, formatUsd, FRAME_SIZES, largestFrame, RESOLUTIONS, tierOf, type FixedAspectRatio } from "../../src/seedance/pricing.js";

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
      it(`${resolution} ${aspect} costs the documented rate`, () => {
        const [perSecond, five] = documented[resolution]![aspect];
        const frame = FRAME_SIZES[resolution][aspect];
        expect(Math.abs(costMicros(standard, frame, 1) / 1e6 - perSecond)).toBeLessThan(0.000006);
        expect(Math.abs(costMicros(standard, frame, 5) / 1e6 - five)).toBeLessThan(0.00006);
        // whole-number micro-dollars, rounded up so a reservation never falls short
        expect(Number.isInteger(costMicros(standard, frame, 15))).toBe(true);
        expect(costMicros(standard, frame, 15)).toBeGreaterThanOrEqual((frame.width * frame.height * 15 * 24 * 14) / 1024);
      });
    }
  }

  it("shows $1.51 for 5 s of 720p 16:9, the documented $0.3024/s", () => {
    const e = estimate(standard, "720p", "16:9", "5");
    expect(e.micros).toBe(1_512_000);
    expect(formatUsd(e.micros)).toBe("$1.51");
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
    expect(formatUsd(costMicros(fast, FRAME_SIZES["720p"]["16:9"], 1) * 1000) ).toBe("$241.92");
    expect(fast.resolutions).toEqual(["480p", "720p"]);
    expect(standard.resolutions).toContain("1080p");
  });

  it("formats micro-dollars to cents", () => {
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(4_999)).toBe("$0.00");
    expect(formatUsd(5_000)).toBe("$0.01");
    expect(formatUsd(10_206_000)).toBe("$10.21");
  });
});
