import { afterEach, describe, expect, it } from "vitest";
import { runVideo, startHarness, type Harness } from "../support/harness.js";

let h: Harness;
afterEach(async () => h?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ignoredX = (h: Harness) => (h.logs().match(/❌ from someone who is neither the requester nor a moderator ignored/g) ?? []).length;

/** A delivered result and a second job queued at fal, both of the requester. */
async function resultAndQueuedJob(h: Harness) {
  const { discord, fal } = h;
  const first = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
  await discord.waitFor(() => discord.messages().find((m) => m.interactionId === first.id && m.text.includes("✅ Done")), 10_000);
  const result = discord.messages().find((m) => m.attachments.some((a) => a.filename.endsWith(".mp4")))!;
  fal.nextTimeline({ queuePositions: [5, 4, 3, 2, 1, 0], stepMs: 5_000 });
  const second = await runVideo(h, { duration: 4, resolution: "480p", aspect_ratio: "1:1" });
  const queued = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === second.id && m.text.includes("Queued at fal")), 10_000);
  return { result, queued };
}

describe("❌ on the bot's messages", () => {
  it("someone else's ❌ neither cancels a queued job nor deletes a result", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result, queued } = await resultAndQueuedJob(h);
    await discord.react({ messageId: queued.id, emoji: "❌", user: discord.users.stranger });
    await discord.react({ messageId: result.id, emoji: "❌", user: discord.users.stranger });
    await discord.waitFor(() => ignoredX(h) === 2, 5_000);
    await sleep(300);
    expect(fal.cancels).toEqual([]);
    expect(discord.message(queued.id)!.text).toContain("Queued at fal");
    expect(discord.message(result.id)!.deleted).toBeFalsy();
    // the bot has no Manage Messages here (the invite does not ask for it): the reactions stay
    expect(discord.reactions(result.id).some((r) => r.userId === discord.users.stranger.id)).toBe(true);
    expect(discord.rejections).toEqual([]);
  });

  it("a moderator's ❌ (Manage Messages, not Manage Server) deletes a result, as the requester's does", async () => {
    h = await startHarness();
    const { discord } = h;
    const { result } = await resultAndQueuedJob(h);
    await discord.react({ messageId: result.id, emoji: "❌", user: discord.users.moderator });
    await discord.waitFor(() => discord.message(result.id)?.deleted, 5_000);
    expect(ignoredX(h)).toBe(0);
    expect(discord.rejections).toEqual([]);
  });

  it("an admin's ❌ cancels a queued job and deletes a result, as the requester's does", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result, queued } = await resultAndQueuedJob(h);
    await discord.react({ messageId: queued.id, emoji: "❌", user: discord.users.admin });
    await fal.waitFor(() => fal.cancels.length === 1, 10_000);
    const cancelled = await discord.waitFor(() => discord.message(queued.id)?.text.includes("🛑") && discord.message(queued.id), 5_000);
    expect(cancelled!.text).toContain(`Cancelled by <@${discord.users.admin.id}>`);
    await discord.react({ messageId: result.id, emoji: "❌", user: discord.users.admin });
    await discord.waitFor(() => discord.message(result.id)?.deleted, 5_000);
    expect(ignoredX(h)).toBe(0);
    expect(discord.rejections).toEqual([]);
  });
});
