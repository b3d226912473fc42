import { afterEach, describe, expect, it } from "vitest";
import { readMp4Info } from "../../src/seedance/mp4.js";
import { answersTo, ephemeralText, FAL_KEY, PICTURE, PNG, runVideo, startHarness, type Harness, bodyText } from "../support/harness.js";

let h: Harness;
afterEach(async () => h?.close());

const channelPosts = (h: Harness) => h.discord.requests.filter((r) => r.method === "POST" && r.path === `/channels/${h.discord.channelId}/messages` && r.status === 200);

describe("/video end to end", () => {
  it("acknowledges at once, shows cost and queue, and posts exactly fal's MP4 mentioning the requester", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [3, 2, 1, 0], stepMs: 120, runMs: 400 } } });
    const { discord, fal } = h;

    // the commands were registered with the options a member sees
    const video = (await discord.waitFor(() => discord.commands({ guildId: undefined }).find((c: any) => c.name === "video"))) as any;
    expect(video.options.map((o: any) => [o.name, o.type, o.required ?? false])).toEqual([
      ["image", 11, true],
      ["prompt", 3, true],
      ["duration", 4, false],
      ["resolution", 3, false],
      ["aspect_ratio", 3, false],
      ["audio", 5, false],
      ["end_image", 11, false],
      ["seed", 4, false],
    ]);
    expect(video.options[1].max_length).toBe(2500);
    expect(video.options[2]).toMatchObject({ min_value: 4, max_value: 15 });
    expect(video.options[3].choices.map((c: any) => c.value)).toEqual(["480p", "720p", "1080p"]);
    expect(video.options[4].choices.map((c: any) => c.value)).toEqual(["auto", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"]);

    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });

    const callback = await discord.waitFor(() => answersTo(h, interaction).find((r) => r.path.endsWith("/callback") && r.status > 0));
    expect(callback.json).toMatchObject({ type: 5 });
    expect(callback.at - interaction.dispatchedAt).toBeLessThan(1000);

    const result = await discord.waitFor(() => channelPosts(h)[0], 15_000);
    const edits = discord.requests.filter((r) => r.method === "PATCH").map((r) => bodyText(r.json));
    expect(edits.some((c) => c.includes("Estimated cost: $1.53"))).toBe(true);
    expect(edits.some((c) => /Queued at fal: position \d/.test(c))).toBe(true);

    // exactly the bytes fal returned, as an MP4 file
    const job = [...fal.jobs.values()][0]!;
    expect(result.files).toHaveLength(1);
    expect(result.files![0]!.bytes.equals(job.video!)).toBe(true);
    expect(result.files![0]!.filename).toMatch(/\.mp4$/);
    expect(readMp4Info(result.files![0]!.bytes)).toMatchObject({ width: 1280, height: 720 });

    // the requester is mentioned, nobody else can be
    const body = result.json as { allowed_mentions: { parse: string[]; users: string[] } };
    const text = bodyText(result.json);
    expect(text).toContain(`<@${discord.users.requester.id}>`);
    expect(text).toContain("the cat surfs a wave");
    expect(text).toMatch(/seed \d+ · 5 s · 720p · 16:9 · cost \$1\.53/);
    expect(body.allowed_mentions).toEqual({ parse: [], users: [discord.users.requester.id] });

    // fal saw the Seedance 2.0 input, with the picture in fal storage
    expect(fal.submissions).toHaveLength(1);
    expect(fal.submissions[0]!.input).toMatchObject({ duration: "5", resolution: "720p", aspect_ratio: "16:9", generate_audio: true });
    expect(fal.uploads[0]!.bytes.equals(PNG)).toBe(true);
    expect(fal.submissions[0]!.input.image_url).toBe(fal.uploads[0]!.fileUrl);

    // 🔁 on the result, and the progress message points at it
    const resultId = (result.response as { id: string }).id;
    await discord.waitFor(() => discord.reactions(resultId).some((r) => r.emoji === "🔁"));
    const progress = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes(resultId)));
    expect(progress.text).toContain("✅ Done");

    expect(discord.rejections).toEqual([]);
    expect(h.logs()).not.toContain(discord.token);
    expect(h.logs()).not.toContain(FAL_KEY);
    expect(h.logs()).not.toContain(interaction.token);
  });

  it("refuses a non-image, an oversized picture and a picture from elsewhere before any fal call", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const pdf = discord.addAttachment(Buffer.from("%PDF-1.7 not a picture"), "doc.pdf", "application/pdf");
    const huge = discord.addAttachment(Buffer.concat([PNG, Buffer.alloc(31 * 1024 * 1024)]), "huge.png", "image/png", { width: 8000, height: 8000 });
    const elsewhere = discord.addAttachment(PNG, "cat.png", "image/png", { ...PICTURE, url: "http://127.0.0.1:9/cat.png" });
    const liar = discord.addAttachment(Buffer.from("just some text pretending"), "fake.png", "image/png", PICTURE);

    const cases: Array<[typeof pdf, RegExp]> = [
      [pdf, /application\/pdf, not a picture/],
      [huge, /up to 30 MB/],
      [elsewhere, /not hosted on Discord's CDN/],
      [liar, /not a PNG, JPEG or WebP picture/],
    ];
    for (const [image, expected] of cases) {
      const interaction = await runVideo(h, { image });
      const text = await discord.waitFor(() => ephemeralText(h, interaction));
      expect(text).toMatch(expected);
    }
    // the public "thinking" message of the one refused after download is gone
    await discord.waitFor(() => discord.messages().every((m) => m.flags & 64 || !m.interactionId));
    expect(fal.requests).toEqual([]);
    expect(discord.rejections).toEqual([]);
  });

  it("explains a fal content-policy rejection in plain words", async () => {
    h = await startHarness({
      fal: {
        timeline: {
          outcome: { kind: "error", status: 422, detail: [{ loc: ["body", "image_url"], msg: "flagged", type: "content_policy_violation" }] },
        },
      },
    });
    const interaction = await runVideo(h, { prompt: "hey @everyone look", duration: 4 });
    const progress = await h.discord.waitFor(
      () => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("❌")),
      10_000,
    );
    expect(progress.text).toContain("safety filter");
    expect(progress.text).not.toMatch(/Error|stack|422/);
    expect(channelPosts(h)).toHaveLength(0);
    // a prompt cannot ping: every message the bot sent disables mass mentions
    for (const r of h.discord.requests.filter((r) => bodyText(r.json).includes("@everyone"))) {
      const body = r.json as any;
      expect((body.allowed_mentions ?? body.data?.allowed_mentions)?.parse ?? []).not.toContain("everyone");
      expect(body.allowed_mentions ?? body.data?.allowed_mentions).toBeDefined();
    }
    expect(h.discord.rejections).toEqual([]);
  });
});
