import { afterEach, describe, expect, it } from "vitest";
import { runVideo, startHarness, type Harness, bodyText } from "../support/harness.js";

let h: Harness;
afterEach(async () => h?.close());

/** Edits of one job's progress message (webhook @original or channel route), in order, with when they landed. */
function progressEdits(h: Harness, interactionToken: string, messageId: () => string | undefined) {
  return h.discord.requests.filter(
    (r) =>
      r.method === "PATCH" &&
      r.status === 200 &&
      (r.path.includes(`/${interactionToken}/messages/@original`) || (messageId() !== undefined && r.path.endsWith(`/messages/${messageId()}`))),
  );
}

describe("progress message", () => {
  it("shows the running state within one edit interval of fal reporting IN_PROGRESS, even after a queue move", async () => {
    const editMs = 400; // minor changes wait 10× that
    h = await startHarness({
      env: { PROGRESS_EDIT_INTERVAL_MS: String(editMs) },
      fal: { timeline: { queuePositions: [3, 2, 1], stepMs: 300, runMs: 4_000, logs: ["Generating"] } },
    });
    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const running = await h.discord.waitFor(
      () => h.discord.requests.find((r) => r.method === "PATCH" && r.status === 200 && bodyText(r.json).includes("Rendering since")),
      10_000,
    );
    const job = [...h.fal.jobs.values()][0]!;
    const inProgressAt = job.submittedAt + job.timeline.queuePositions.length * job.timeline.stepMs;
    // the queue did move before it ran (a minor change was pending)
    expect(progressEdits(h, interaction.token, () => undefined).some((r) => /Queued at fal: position [123]/.test(bodyText(r.json)))).toBe(true);
    expect(running.at - inProgressAt).toBeLessThan(editMs + 700);
  });

  it("keeps the number of edits of one job within its budget while the queue and the log keep changing", async () => {
    const editMs = 150;
    const minorMs = editMs * 10;
    const logs = Array.from({ length: 20 }, (_, i) => `step ${i + 1} of 20`);
    h = await startHarness({
      env: { PROGRESS_EDIT_INTERVAL_MS: String(editMs) },
      // no rate limit: what is measured is the bot's own restraint, not Discord's throttling
      discord: { rateLimit: false },
      fal: { timeline: { queuePositions: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], stepMs: 200, runMs: 3_000, logs } },
    });
    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const done = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("✅ Done")), 15_000);
    const edits = progressEdits(h, interaction.token, () => done.id);
    const job = [...h.fal.jobs.values()][0]!;
    const atFalMs = job.completedAt! - job.submittedAt;
    // state changes (estimate, queued, rendering, done) each earn an edit; the 10 queue moves
    // and 20 log lines while at fal share one edit per minor interval
    const budget = 4 + Math.ceil(atFalMs / minorMs) + 1;
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(edits.length).toBeLessThanOrEqual(budget);
  });

  it("a progress message shown as plain text (a job that spans the upgrade to cards) becomes a card on its next edit", async () => {
    h = await startHarness();
    const { messages } = h.bot.services;
    const plain = await messages.post(h.discord.channelId, { content: "🎬 Video for someone\n⏳ Queued at fal: position 2", allowed_mentions: { parse: [] } });
    const card = [{ type: 17, components: [{ type: 10, content: "🎬 Video for someone\n✅ Done" }] }];
    await messages.editProgress({ channelId: h.discord.channelId, messageId: plain, webhook: null }, { flags: 1 << 15, components: card, allowed_mentions: { parse: [] } });
    const edited = h.discord.message(plain)!;
    expect(edited.content).toBe("");
    expect(edited.flags & (1 << 15)).toBe(1 << 15);
    expect(edited.text).toContain("✅ Done");
    expect(h.discord.rejections).toEqual([]);
  });
});
