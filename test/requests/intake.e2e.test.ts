import { afterEach, describe, expect, it } from "vitest";
import type { InteractionHandle } from "../fakes/discord/index.js";
import { makePng } from "../support/picture.js";
import { answersTo, ephemeralText, PICTURE, quotaText, runVideo, startHarness, type Harness, bodyText } from "../support/harness.js";

let h: Harness;
afterEach(async () => h?.close());

const downloads = (h: Harness) => h.discord.requests.filter((r) => r.method === "GET" && /^\/(ephemeral-)?attachments\//.test(r.path));
const deferred = (h: Harness, i: InteractionHandle) => answersTo(h, i).some((r) => r.path.endsWith("/callback") && (r.json as any)?.type === 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** Would Discord render a masked link ([text](url)) or a heading from this content? */
function rendersMarkdownTricks(content: string): boolean {
  return /(?<!\\)\[[^\]\n]*(?<!\\)\]\(\s*<?https?:/.test(content) || /^#{1,3} /m.test(content) || /^> #{1,3} /m.test(content) || /(?<!\\)\|\|/.test(content);
}

describe("cheap checks before expensive ones", () => {
  it("one member firing many /video at once gets private refusals for the extras at once, before anything is acknowledged or fetched", async () => {
    h = await startHarness({ env: { MAX_JOBS_PER_USER: "2" }, fal: { timeline: { queuePositions: [1, 0], stepMs: 1_000, runMs: 500 } } });
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => runVideo(h, { duration: 5, resolution: "480p", prompt: `take ${i}` })));
    const answers = await Promise.all(burst.map((i) => h.discord.waitFor(() => ephemeralText(h, i) ?? (h.discord.messages().some((m) => m.interactionId === i.id && m.text.includes("Estimated cost")) && "started"), 10_000)));
    expect(answers.filter((a) => a === "started")).toHaveLength(2);
    expect(answers.filter((a) => /Videos you already have in progress: 2/.test(a))).toHaveLength(4);
    expect(downloads(h)).toHaveLength(2); // the extras never took an intake place nor fetched their picture
    const extras = burst.filter((i) => /Videos you already have in progress: 2/.test(ephemeralText(h, i) ?? ""));
    expect(extras.filter((i) => deferred(h, i))).toEqual([]); // refused before the acknowledgement
    // another member is not held up
    const other = await runVideo(h, { duration: 5, resolution: "480p", user: h.discord.users.stranger });
    await h.discord.waitFor(() => h.discord.messages().some((m) => m.interactionId === other.id && m.text.includes("Estimated cost")), 10_000);
  });

  it("a member whose budget cannot cover the video is refused before anything is fetched, and only privately", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "1" } });
    const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h, refused))).toMatch(/would cost \$1\.53, but you have \$1\.00 left/);
    expect(downloads(h)).toEqual([]);
    expect(h.fal.requests).toEqual([]);
    // the public "thinking" message is gone; nothing else was said in the channel
    await h.discord.waitFor(() => h.discord.messages().every((m) => m.flags & 64 || !m.interactionId), 5_000);
  });
});

describe("pictures the model refuses are refused before money moves", () => {
  it("by Discord's measure, before anything else, with the numbers", async () => {
    h = await startHarness();
    const cases: Array<[{ width: number; height: number }, RegExp]> = [
      [{ width: 200, height: 200 }, /200×200 pixels; the model needs at least 300 pixels on each side/],
      [{ width: 7000, height: 4000 }, /7000×4000 pixels; the model accepts at most 6000 pixels on a side/],
      [{ width: 3000, height: 1000 }, /3000×1000 pixels \(width\/height 3\.00\); the model accepts shapes from 0\.4 \(tall\) to 2\.5 \(wide\)/],
    ];
    for (const [size, expected] of cases) {
      const image = h.discord.addAttachment(makePng(size.width, size.height), "odd.png", "image/png", size);
      const interaction = await runVideo(h, { image });
      expect(await h.discord.waitFor(() => ephemeralText(h, interaction))).toMatch(expected);
      expect(deferred(h, interaction)).toBe(false);
    }
    const end = h.discord.addAttachment(makePng(250, 600), "end.png", "image/png", { width: 250, height: 600 });
    const withEnd = await runVideo(h, { end_image: end });
    expect(await h.discord.waitFor(() => ephemeralText(h, withEnd))).toMatch(/end picture \(end\\\.png\) is 250×600 pixels/);
    expect(downloads(h)).toEqual([]);
    expect(h.fal.requests).toEqual([]);
  });

  it("by the file's own header when Discord's measure is missing or wrong, refunded at once", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "2" } });
    const liar = h.discord.addAttachment(makePng(6400, 400), "wide.png", "image/png", PICTURE);
    const interaction = await runVideo(h, { image: liar, duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h, interaction))).toMatch(/6400×400 pixels; the model accepts at most 6000 pixels on a side\. Nothing was charged\./);
    expect(h.fal.requests).toEqual([]);
    expect(await quotaText(h)).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
    // the public "thinking" message is gone; nothing else was said in the channel
    await h.discord.waitFor(() => h.discord.messages().every((m) => m.flags & 64 || !m.interactionId), 5_000);
  });
});

describe("prompts are echoed inert", () => {
  it("a disguised link, a heading or a spoiler in a prompt never renders as one in the bot's messages", async () => {
    h = await startHarness();
    const prompt = "# FREE NITRO [Claim Nitro](https://discord.gift.example/claim) ||surprise|| the cat surfs";
    const interaction = await runVideo(h, { prompt, duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("✅ Done")), 10_000);
    const shown = h.discord.requests.map((r) => bodyText(r.json)).filter((c) => c.includes("Claim Nitro"));
    expect(shown.length).toBeGreaterThanOrEqual(2); // the progress message and the result
    for (const content of shown) expect(rendersMarkdownTricks(content), content).toBe(false);
    expect(h.fal.submissions[0]!.input.prompt).toBe(prompt); // the model still gets the prompt as written
  });
});

describe("reaction refusals do not spam", () => {
  it("toggling 🔁 on a result the budget cannot repeat gets one answer per 10 minutes", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "2" } });
    const { discord } = h;
    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("✅ Done")), 10_000);
    const result = discord.messages().find((m) => m.attachments.some((a) => a.filename.endsWith(".mp4")))!;
    const refusals = () => discord.messages().filter((m) => m.message_reference?.message_id === result.id && m.text.includes("would cost"));
    for (let i = 0; i < 5; i++) {
      await discord.react({ messageId: result.id, emoji: "🔁", user: discord.users.requester });
      await discord.waitFor(() => refusals().length >= 1, 5_000);
      await sleep(150);
      await discord.unreact({ messageId: result.id, emoji: "🔁", user: discord.users.requester });
    }
    await sleep(500);
    expect(refusals()).toHaveLength(1);
    expect(h.fal.submissions).toHaveLength(1);
  });
});

