import { describe, expect, it } from "vitest";
import { progressBar, renderProgress, typicalRunSeconds, type ProgressView } from "../../src/jobs/progress.js";
import { estimate, tierOf } from "../../src/seedance/pricing.js";

const tier = tierOf("bytedance/seedance-2.0/image-to-video");
const now = 1_800_000_000_000;
const view = (over: Partial<ProgressView> = {}): ProgressView => ({
  userId: "111111111111111111",
  state: "submitted",
  params: { prompt: "a cat @everyone surfs", imageUrl: "https://x/y.png", duration: "5", resolution: "720p", aspectRatio: "16:9", audio: true },
  estimate: estimate(tier, "720p", "16:9", "5"),
  queuePosition: 3,
  runningSince: null,
  lastLog: null,
  error: null,
  now,
  ...over,
});

describe("progress message", () => {
  it("shows the parameters, the cost and the queue position", () => {
    const text = renderProgress(view());
    expect(text).toContain("<@111111111111111111>");
    expect(text).toContain("> a cat @everyone surfs");
    expect(text).toContain("5 s · 720p · 16:9 · with audio");
    expect(text).toContain("Estimated cost: $1.51");
    expect(text).toContain("position 3");
  });

  it("says 'up to' for auto duration or aspect", () => {
    const text = renderProgress(view({ estimate: estimate(tier, "720p", "auto", "auto"), params: { ...view().params, duration: "auto", aspectRatio: "auto" } }));
    expect(text).toContain("Estimated cost: up to $4.56");
  });

  it("shows a relative start time, a coarse bar and the latest log line while running", () => {
    const since = now - 30_000;
    const text = renderProgress(view({ state: "running", runningSince: since, lastLog: "Generating `frames`" }));
    expect(text).toContain(`<t:${Math.floor(since / 1000)}:R>`);
    expect(text).toMatch(/▰+▱+ \d+0%/);
    expect(text).toContain("`Generating 'frames'`");
  });

  it("never shows the bar full before the video exists", () => {
    const text = renderProgress(view({ state: "running", runningSince: now - 3_600_000 }));
    expect(text).toContain("90%");
    expect(progressBar(0.34)).toBe("▰▰▰▱▱▱▱▱▱▱ 30%");
    expect(typicalRunSeconds({ resolution: "1080p", duration: "15" })).toBeGreaterThan(typicalRunSeconds({ resolution: "480p", duration: "4" }));
  });

  it("keeps a 2500-character prompt inside Discord's 2000-character limit", () => {
    const text = renderProgress(view({ params: { ...view().params, prompt: "w".repeat(2500) } }));
    expect(text.length).toBeLessThan(2000);
  });

  it("explains failures in words", () => {
    expect(renderProgress(view({ state: "failed", error: "fal's safety filter rejected the picture." }))).toContain("❌ fal's safety filter");
  });
});
