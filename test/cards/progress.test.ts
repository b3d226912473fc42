import { describe, expect, it } from "vitest";
import { progressBar, progressCard, renderProgress, typicalRunSeconds, type ProgressView } from "../../src/cards/progress.js";
import { resultCard } from "../../src/cards/result.js";
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
    expect(text).toContain("> a cat \\@everyone surfs"); // inert: shown as typed, pinging nobody
    expect(text).toContain("5 s · 720p · 16:9 · with audio");
    expect(text).toContain("Estimated cost: $1.53");
    expect(text).toContain("position 3");
  });

  it("says 'up to' for auto duration or aspect", () => {
    const text = renderProgress(view({ estimate: estimate(tier, "720p", "auto", "auto"), params: { ...view().params, duration: "auto", aspectRatio: "auto" } }));
    expect(text).toContain("Estimated cost: up to $4.58");
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

describe("cards (Components V2)", () => {
  const texts = (node: unknown): string[] =>
    Array.isArray(node) ? node.flatMap(texts) : node && typeof node === "object" ? [...((node as any).type === 10 ? [(node as any).content] : []), ...texts((node as any).components ?? [])] : [];

  it("progress: the state first, the prompt and facts beside a thumbnail of the picture, then the buttons", () => {
    const row = { type: 1, components: [{ type: 2, style: 4, label: "Cancel", custom_id: "cancel:x" }] };
    const [container] = progressCard(view(), [row]) as any[];
    expect(container.type).toBe(17);
    expect(container.components.map((c: any) => c.type)).toEqual([10, 9, 1]);
    expect(container.components[0].content.split("\n")[0]).toBe("🎬 Video for <@111111111111111111>");
    expect(container.components[0].content.split("\n")[1]).toContain("position 3");
    const section = container.components[1];
    expect(section.accessory).toMatchObject({ type: 11, media: { url: "https://x/y.png" } });
    expect(section.accessory.description.length).toBeGreaterThan(0);
    // the same lines as the plain text, reordered: the state comes second, before the prompt
    expect(texts(container).join("\n").split("\n").sort()).toEqual(renderProgress(view()).split("\n").sort());
    expect(progressCard(view({ state: "failed", error: "no" }), [])[0]).toMatchObject({ accent_color: 0xed4245 });
    // a picture URL past Discord's 2048 characters for media: the card shows the text alone
    const long = view({ params: { ...view().params, imageUrl: `https://images-ext-1.discordapp.net/external/${"x".repeat(2100)}` } });
    expect((progressCard(long, [])[0] as any).components.map((c: any) => c.type)).toEqual([10, 10]);
  });

  it("result: the facts first, the uploaded file in a media gallery, or a link instead", () => {
    const job = { userId: "1", params: view().params, locale: "en-US" };
    const facts = { seed: 7, seconds: 5, costMicros: 1_512_000 };
    const [withFile] = resultCard(job, facts, { file: "v.mp4" }, []) as any[];
    expect(withFile.components.map((c: any) => c.type)).toEqual([10, 12]);
    expect(withFile.components[0].content.split("\n")[0]).toBe("🎬 <@1>, your video is ready!");
    expect(withFile.components[1].items).toEqual([{ media: { url: "attachment://v.mp4" }, description: "Video: a cat @everyone surfs" }]);
    const [withLink] = resultCard(job, facts, { link: "https://fal.media/v.mp4" }, []) as any[];
    expect(withLink.components.map((c: any) => c.type)).toEqual([10]);
    expect(withLink.components[0].content).toContain("https://fal.media/v.mp4");
  });
});
