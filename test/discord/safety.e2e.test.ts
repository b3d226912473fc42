import { afterEach, describe, expect, it } from "vitest";
import { deliveredVideo, doneMessage, ephemeralText, PICTURE, PNG, runVideo, startHarness, videoMessages, type Harness, buttonOf } from "../support/harness.js";

let h: Harness;
afterEach(async () => h?.close());


describe("mention safety", () => {
  it("no message the bot sends pings anyone but the requester, a role or everyone: /video, regenerate, refusals and failures", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "4" } });
    const { discord, fal } = h;
    const { requester, stranger } = discord.users;
    const prompt = `@everyone @here <@&${discord.roles.pingable}> <@${stranger.id}> <@!${stranger.id}> the cat surfs`;

    const first = await runVideo(h, { prompt, duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await doneMessage(h, first.id);
    const result = videoMessages(h)[0]!;
    // regenerate by reaction and by button (the second is refused by the budget, in a channel reply)
    await discord.react({ messageId: result.id, emoji: "🔁", user: requester });
    await discord.waitFor(() => videoMessages(h).length === 2, 15_000);
    const regenerate = buttonOf(discord.message(result.id)!, "regen");
    const refused = await discord.clickButton({ messageId: result.id, customId: regenerate.custom_id, user: requester });
    await discord.waitFor(() => ephemeralText(h, refused), 10_000);
    await discord.unreact({ messageId: result.id, emoji: "🔁", user: requester });
    await discord.react({ messageId: result.id, emoji: "🔁", user: requester });
    await discord.waitFor(() => discord.messages().find((m) => m.message_reference?.message_id === result.id && m.text.includes("would cost")), 10_000);
    // a failure at fal
    fal.nextTimeline({ outcome: { kind: "error", status: 422, detail: [{ loc: ["body", "prompt"], msg: "flagged", type: "content_policy_violation" }] } });
    const failed = await runVideo(h, { prompt, duration: 4, resolution: "480p", user: stranger });
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === failed.id && m.text.includes("safety filter")), 10_000);

    const pings = discord.pings();
    expect(pings.length).toBeGreaterThan(8);
    expect(pings.filter((p) => p.mentions.everyone)).toEqual([]);
    expect(pings.filter((p) => p.mentions.roles.length)).toEqual([]);
    const whom = (p: (typeof pings)[number]) => p.mentions.users;
    // the requester's own messages ping the requester at most; the stranger's failed job pings only the stranger
    for (const p of pings) expect(whom(p).every((u) => u === requester.id || (u === stranger.id && p.request.path.includes(failed.token)))).toBe(true);
    expect(pings.some((p) => whom(p).includes(requester.id))).toBe(true); // the result does tell its requester
    expect(discord.rejections).toEqual([]);
  });
});

describe("buttons belong to their message", () => {
  it("a button naming another job than the message it sits on does nothing but say so", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result, regenerate } = await deliveredVideo(h);
    fal.nextTimeline({ queuePositions: [5, 4, 3, 2, 1, 0], stepMs: 5_000 });
    const second = await runVideo(h, { duration: 4, resolution: "480p", aspect_ratio: "1:1" });
    const queued = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === second.id && m.text.includes("Queued at fal")), 10_000);
    const cancel = buttonOf(queued, "cancel");

    // the second job's Cancel, clicked on the first job's result; the first job's Regenerate on the second's progress
    const a = await discord.clickButton({ messageId: result.id, customId: cancel.custom_id, user: discord.users.requester, unchecked: true });
    const b = await discord.clickButton({ messageId: queued.id, customId: regenerate.custom_id, user: discord.users.requester, unchecked: true });
    expect(await discord.waitFor(() => ephemeralText(h, a))).toMatch(/does not belong to this message/);
    expect(await discord.waitFor(() => ephemeralText(h, b))).toMatch(/does not belong to this message/);
    await new Promise((r) => setTimeout(r, 500));
    expect(fal.cancels).toEqual([]);
    expect(fal.submissions).toHaveLength(2);
    expect(discord.message(queued.id)!.text).toContain("Queued at fal");
  });
});

describe("upload limit", () => {
  it("an interaction that reports no limit gets Discord's current default for bots (20 MiB): a 15 MiB video is attached", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 100, outcome: { kind: "video", padToBytes: 15 * 1024 * 1024 } } } });
    const image = h.discord.addAttachment(PNG, "cat.png", "image/png", PICTURE);
    const interaction = await h.discord.slashCommand({
      name: "video",
      attachments: [image],
      attachmentSizeLimit: null,
      options: [
        { name: "image", type: 11, value: image.id },
        { name: "prompt", type: 3, value: "the cat surfs a wave" },
        { name: "duration", type: 4, value: 5 },
      ],
    });
    await doneMessage(h, interaction.id);
    const post = videoMessages(h)[0]!;
    expect(post.attachments[0]!.size).toBe(15 * 1024 * 1024);
    expect(post.text).not.toContain("here is a link");
  });
});
