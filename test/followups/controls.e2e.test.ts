import { afterEach, describe, expect, it } from "vitest";
import { ephemeralText, runVideo, startHarness, type Harness, buttonOf, buttonsOf } from "../support/harness.js";
import { INVITE_PERMISSIONS, P } from "../fakes/discord/index.js";

let h: Harness;
afterEach(async () => h?.close());

const posts = (h: Harness) => h.discord.requests.filter((r) => r.method === "POST" && r.path === `/channels/${h.discord.channelId}/messages` && r.status === 200);
const results = (h: Harness) => posts(h).filter((r) => (r.files?.length ?? 0) > 0);

async function deliveredVideo(h: Harness): Promise<{ resultId: string; interactionId: string }> {
  const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9", prompt: "a fox jumps" });
  const progress = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("✅ Done")), 10_000);
  const resultId = (results(h).at(-1)!.response as { id: string }).id;
  expect(progress.text).toContain(resultId);
  return { resultId, interactionId: interaction.id };
}

async function spent(h: Harness): Promise<number> {
  const { discord } = h;
  const show = await discord.slashCommand({ name: "quota", user: discord.users.requester, options: [{ name: "show", type: 1, options: [] }] });
  const text = await discord.waitFor(() => ephemeralText(h, show));
  return Number(/Spent \$(\d+\.\d\d)/.exec(text)![1]);
}

for (const restart of [false, true]) {
  describe(`regenerate, cancel and delete${restart ? " after a restart (nothing cached)" : ""}`, () => {
    it("🔁 by the requester runs the same job again with a new seed and charges again; a stranger's 🔁 does nothing", async () => {
      // Granted on purpose (the invite's 274878024768 lacks it): the bot removes a stranger's 🔁 only with Manage Messages.
      h = await startHarness({ discord: { botPermissions: (INVITE_PERMISSIONS | P.MANAGE_MESSAGES).toString() } });
      const { discord, fal } = h;
      const { resultId } = await deliveredVideo(h);
      if (restart) await h.restart();

      await discord.react({ messageId: resultId, emoji: "🔁", user: discord.users.stranger });
      await discord.react({ messageId: resultId, emoji: "🔁", user: discord.users.requester });
      await discord.waitFor(() => results(h).length === 2, 10_000);

      expect(fal.submissions).toHaveLength(2);
      const [first, second] = fal.submissions.map((s) => s.input);
      expect(second.prompt).toBe(first.prompt);
      expect(second.image_url).toBe(first.image_url);
      expect(second).toMatchObject({ duration: "5", resolution: "720p", aspect_ratio: "16:9", generate_audio: true });
      expect(second.seed).toEqual(expect.any(Number));
      expect(fal.uploads).toHaveLength(1); // the picture kept in fal storage is reused
      expect(discord.reactions(resultId).filter((r) => r.userId === discord.users.stranger.id)).toEqual([]); // removed (Manage Messages)
      // the new progress message replies to the result
      const progress = posts(h).find((r) => (r.json as any).message_reference?.message_id === resultId && !(r.files?.length));
      expect(progress).toBeDefined();
      await discord.waitFor(() => discord.messages().find((m) => m.id === (progress!.response as any).id && m.text.includes("✅ Done")), 10_000);
      expect(await spent(h)).toBeCloseTo(3.05, 2);
      expect(discord.rejections).toEqual([]);
    });

    it("the Regenerate button does the same for the requester and refuses others", async () => {
      h = await startHarness();
      const { discord, fal } = h;
      const { resultId } = await deliveredVideo(h);
      if (restart) await h.restart();
      const result = discord.message(resultId)!;
      const button = buttonOf(result, "regen");
      expect(button).toMatchObject({ label: "Regenerate" });
      expect(button.custom_id.length).toBeLessThanOrEqual(100);

      const stranger = await discord.clickButton({ messageId: resultId, customId: button.custom_id, user: discord.users.stranger });
      expect(await discord.waitFor(() => ephemeralText(h, stranger))).toMatch(/Only <@\d+>, who asked for this video, can regenerate it/);
      await discord.clickButton({ messageId: resultId, customId: button.custom_id, user: discord.users.requester });
      await discord.waitFor(() => results(h).length === 2, 10_000);
      expect(fal.submissions).toHaveLength(2);
      expect(fal.submissions[1]!.input.image_url).toBe(fal.submissions[0]!.input.image_url);
    });

    it("Cancel while queued cancels at fal and returns the budget; ❌ deletes a result", async () => {
      h = await startHarness();
      const { discord, fal } = h;
      const { resultId } = await deliveredVideo(h);

      fal.nextTimeline({ queuePositions: [5, 4, 3, 2, 1, 0], stepMs: 5_000 });
      const queued = await runVideo(h, { duration: 4, resolution: "480p", aspect_ratio: "1:1" });
      const progress = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === queued.id && m.text.includes("Queued at fal")), 10_000);
      const cancel = buttonOf(progress, "cancel");
      expect(cancel).toMatchObject({ label: "Cancel", style: 4 });
      if (restart) await h.restart();

      const stranger = await discord.clickButton({ messageId: progress.id, customId: cancel.custom_id, user: discord.users.stranger });
      expect(await discord.waitFor(() => ephemeralText(h, stranger))).toMatch(/Only the member who asked/);
      await discord.clickButton({ messageId: progress.id, customId: cancel.custom_id, user: discord.users.requester });
      await discord.waitFor(() => fal.cancels.length === 1, 10_000);
      const cancelled = await discord.waitFor(() => discord.message(progress.id)?.text.includes("🛑") && discord.message(progress.id));
      expect(cancelled!.text).toContain("Cancelled by");
      expect(buttonsOf(cancelled!)).toEqual([]); // the card stays, without its button
      expect(await spent(h)).toBeCloseTo(1.53, 2);
      const show = await discord.slashCommand({ name: "quota", user: discord.users.requester, options: [{ name: "show", type: 1, options: [] }] });
      expect(await discord.waitFor(() => ephemeralText(h, show))).toContain("held for running jobs $0.00");

      // ❌ by the requester on the progress message of a queued job cancels it too
      fal.nextTimeline({ queuePositions: [5, 4, 3, 2, 1, 0], stepMs: 5_000 });
      const another = await runVideo(h, { duration: 4, resolution: "480p", aspect_ratio: "1:1" });
      const anotherProgress = await discord.waitFor(
        () => discord.messages().find((m) => m.interactionId === another.id && m.text.includes("Queued at fal")),
        10_000,
      );
      await discord.react({ messageId: anotherProgress.id, emoji: "❌", user: discord.users.requester });
      await discord.waitFor(() => fal.cancels.length === 2, 10_000);
      await discord.waitFor(() => discord.message(anotherProgress.id)?.text.includes("🛑"));

      await discord.react({ messageId: resultId, emoji: "❌", user: discord.users.stranger });
      await discord.react({ messageId: resultId, emoji: "❌", user: discord.users.requester });
      await discord.waitFor(() => !discord.message(resultId) || discord.message(resultId)!.deleted);
      expect(discord.rejections).toEqual([]);
    });
  });
}

describe("a regenerate the budget cannot cover", () => {
  it("is refused like /video: ephemerally for the button, in a reply for 🔁, and nothing reaches fal", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "2" } });
    const { discord, fal } = h;
    const { resultId } = await deliveredVideo(h);
    const button = buttonOf(discord.message(resultId)!, "regen");
    const click = await discord.clickButton({ messageId: resultId, customId: button.custom_id, user: discord.users.requester });
    expect(await discord.waitFor(() => ephemeralText(h, click))).toMatch(/would cost \$1\.53, but you have \$0\.47 left of your \$2\.00 budget\. It resets <t:\d+:R>/);
    expect(discord.message(resultId)?.deleted).toBeFalsy();

    await discord.react({ messageId: resultId, emoji: "🔁", user: discord.users.requester });
    const reply = await discord.waitFor(() => discord.messages().find((m) => m.message_reference?.message_id === resultId && m.text.includes("would cost")));
    expect(reply.text).toContain(`<@${discord.users.requester.id}>`);
    expect(fal.submissions).toHaveLength(1);
    expect(discord.rejections).toEqual([]);
  });
});
