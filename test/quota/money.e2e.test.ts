import { afterEach, describe, expect, it } from "vitest";
import { ephemeralText, quotaText, runVideo, startHarness, videoMessages, type Harness, buttonOf } from "../support/harness.js";

let h: Harness;
afterEach(async () => h?.close());

const SUBMIT = { method: "POST", target: /\/image-to-video$/ };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


const NOTHING_HELD = /Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/;

describe("at most one fal submit per job, even when fal's answer is lost", () => {
  for (const lost of ["a gateway error after fal queued it", "a connection cut after fal queued it"] as const) {
    it(`${lost}: never sent again, ended with a refund and a log line`, async () => {
      h = await startHarness();
      h.fal.loseAnswerNext(SUBMIT, lost.startsWith("a gateway") ? { status: 502, body: { detail: "Bad Gateway" } } : "reset");
      const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
      const ended = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("❌")), 10_000);
      expect(ended.text).toContain("was not sent again");
      expect(ended.text).toContain("Nothing was charged");
      await sleep(2_500); // longer than @fal-ai/client's first retry would wait
      expect(h.fal.submissions).toHaveLength(1);
      expect(h.logs()).toMatch(/fal may have queued and billed this job/);
      expect(await quotaText(h)).toMatch(NOTHING_HELD);
      expect(videoMessages(h)).toHaveLength(0);
    });
  }

  it("sends again only what fal proved it did not queue (a 429), and delivers once", async () => {
    h = await startHarness();
    h.fal.failNext(SUBMIT, { status: 429, body: { detail: "Too many requests in queue" } });
    await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.discord.waitFor(() => videoMessages(h).length === 1, 15_000);
    expect(h.fal.requests.filter((r) => r.method === "POST" && /image-to-video$/.test(r.path)).map((r) => r.status)).toEqual([429, 200]);
    expect(h.fal.submissions).toHaveLength(1);
  });
});

describe("the member is charged what was rendered", () => {
  it("an auto-length job whose video is shorter than the estimate is settled to the shorter length", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 100, outcome: { kind: "video", durationSec: 6 } } } });
    const interaction = await runVideo(h, { resolution: "720p", aspect_ratio: "16:9" }); // duration: auto
    const progress = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("Estimated cost")), 10_000);
    expect(progress.text).toContain("Estimated cost: up to $4.55"); // 15 s (361 frames), the longest auto can be
    await h.discord.waitFor(() => videoMessages(h).length === 1, 10_000);
    expect(videoMessages(h)[0]!.text).toMatch(/6 s · 720p · 16:9 · cost \$1\.83/);
    await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("✅ Done")), 5_000);
    expect(await quotaText(h)).toMatch(/Spent \$1\.83 · held for running jobs \$0\.00/);
  });
});

describe("what the member reads stays true", () => {
  it("a failure while holding the budget says 'nothing was charged', and the job is never adopted and charged later", async () => {
    h = await startHarness();
    const { budget, runner } = h.bot.services;
    const reserve = budget.ledger.reserve.bind(budget.ledger);
    let failed = 0;
    budget.ledger.reserve = async (...args) => {
      if (failed++ === 0) throw new Error("store unavailable");
      return reserve(...args);
    };
    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h, interaction))).toMatch(/Nothing was charged/);
    await runner.resumeAll(); // what the lease upkeep does every few seconds
    await sleep(1_500);
    expect(h.fal.requests.filter((r) => r.method === "POST")).toEqual([]);
    expect(await quotaText(h)).toMatch(NOTHING_HELD);
    expect(await h.bot.services.repo.activeIds()).toEqual([]); // final in the store: nothing left to adopt
  });

  it("no error escapes a job: the store failing while the final state is written is logged, and the job resumes", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on("unhandledRejection", onUnhandled);
    try {
      h = await startHarness({
        fal: { timeline: { outcome: { kind: "error", status: 422, detail: [{ loc: ["body", "image_url"], msg: "flagged", type: "content_policy_violation" }] } } },
      });
      const { repo, runner } = h.bot.services;
      const save = repo.save.bind(repo);
      let broken = true;
      let threw = 0;
      repo.save = async (job, fence, links) => {
        if (broken && job.state === "failed") {
          threw++;
          throw new Error("disk full");
        }
        return save(job, fence, links);
      };
      const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
      await h.discord.waitFor(() => threw > 0, 10_000);
      await sleep(500);
      expect(unhandled).toEqual([]);
      expect(h.logs()).toMatch(/job interrupted by an unexpected error/);
      broken = false;
      await runner.resumeAll();
      const ended = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("safety filter")), 10_000);
      expect(ended.text).toContain("❌");
      expect(await quotaText(h)).toMatch(NOTHING_HELD);
      expect(h.fal.submissions).toHaveLength(1);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a crash right after a cancelled job's refund: the restarted bot neither renders it nor refunds it twice", async () => {
    // one fal slot: the second job waits in the bot's own queue (picture stored, not at fal)
    h = await startHarness({ env: { MAX_CONCURRENT_JOBS: "1" }, fal: { timeline: { queuePositions: [1, 0], stepMs: 500, runMs: 1_500 } } });
    const { discord } = h;
    await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9", prompt: "first" });
    await h.fal.waitFor(() => h.fal.submissions.length === 1);
    const second = await runVideo(h, { duration: 4, resolution: "480p", aspect_ratio: "1:1", prompt: "second" });
    const waiting = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === second.id && m.text.includes("Waiting for a free slot")), 10_000);

    // the "crash": once the refund is done, nothing this process writes reaches the store any more
    const { budget, store } = h.bot.services;
    const refund = budget.ledger.refund.bind(budget.ledger);
    budget.ledger.refund = async (r) => {
      const done = await refund(r);
      store.set = () => new Promise(() => undefined);
      store.addToSet = () => new Promise(() => undefined);
      store.removeFromSet = () => new Promise(() => undefined);
      return done;
    };
    const cancel = buttonOf(waiting, "cancel");
    await discord.clickButton({ messageId: waiting.id, customId: cancel.custom_id, user: discord.users.requester });
    await h.discord.waitFor(() => /budget refunded/.test(h.logs()), 10_000);
    await h.restart();

    await h.discord.waitFor(() => videoMessages(h).length === 1, 15_000); // the first job is delivered
    await sleep(1_500);
    expect(h.fal.submissions.map((s) => s.input.prompt)).toEqual(["first"]);
    expect(videoMessages(h)).toHaveLength(1);
    expect(await quotaText(h)).toMatch(/Spent \$1\.53 · held for running jobs \$0\.00 · jobs in progress 0/);
    expect(h.logs().match(/budget refunded/g)).toHaveLength(1);
  });
});

describe("deadlines", () => {
  it("a job never waits for a slot past its deadline, and a render the bot gave up on keeps its fal slot until fal is done", async () => {
    h = await startHarness({ env: { MAX_CONCURRENT_JOBS: "1", JOB_TIMEOUT_MINUTES: "0.05" }, fal: { timeline: { queuePositions: [0], stepMs: 50, outcome: { kind: "never" } } } });
    const { discord, fal } = h;
    const a = await runVideo(h, { duration: 5, prompt: "A renders forever" });
    await fal.waitFor(() => fal.submissions.length === 1);
    await sleep(500);
    const b = await runVideo(h, { duration: 5, prompt: "B waits" });
    // A times out while fal renders it; B's own deadline passes while it waits for A's slot
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === a.id && m.text.includes("took longer than")), 10_000);
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === b.id && m.text.includes("took longer than")), 10_000);
    const c = await runVideo(h, { duration: 5, prompt: "C after A" });
    await discord.waitFor(() => discord.messages().find((m) => m.interactionId === c.id && m.text.includes("Waiting for a free slot")), 10_000);
    await sleep(500);
    expect(fal.submissions.map((s) => s.input.prompt)).toEqual(["A renders forever"]);
    fal.release(fal.submissions[0]!.requestId); // fal finally finishes A
    await fal.waitFor(() => fal.submissions.length === 2, 10_000);
    expect(fal.submissions.map((s) => s.input.prompt)).toEqual(["A renders forever", "C after A"]);
    expect(fal.submissions[1]!.at).toBeGreaterThanOrEqual(fal.jobs.get(fal.submissions[0]!.requestId)!.completedAt!);
    // A's member was refunded long ago; what fal billed for it is on the operator's books now
    await discord.waitFor(() => /its bill is booked/.test(h.logs()), 5_000);
    const status = await discord.slashCommand({ name: "operator", user: discord.owner, options: [{ name: "status", type: 1, options: [] }] });
    expect(await discord.waitFor(() => ephemeralText(h, status))).toMatch(/All servers: fal billed \$1\.53 · held \$\d+\.\d\d · charged \$0\.00 · refunded \$\d+\.\d\d/);
  });

  it("a render fal has started gets as long again as the deadline: a paid video is not thrown away a moment before it is done", async () => {
    // deadline 3 s: queued 2 s at fal, then rendering 2.5 s: running at the deadline, done before twice it
    h = await startHarness({ env: { JOB_TIMEOUT_MINUTES: "0.05" }, fal: { timeline: { queuePositions: [0], stepMs: 2_000, runMs: 2_500 } } });
    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const done = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("✅ Done")), 15_000);
    expect(done.text).not.toContain("took longer");
    expect(videoMessages(h)).toHaveLength(1);
    expect(await quotaText(h)).toMatch(/Spent \$1\.53 · held for running jobs \$0\.00/);
  });

  it("a job being delivered is never timed out: its video exists and is paid for", async () => {
    h = await startHarness({ env: { JOB_TIMEOUT_MINUTES: "0.03" }, fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 200 } } });
    // Discord fails the upload for a while (after discord.js's own retries), past the deadline
    h.discord.failNext({ method: "POST", path: /^\/channels\/\d+\/messages$/ }, { status: 502, body: { code: 0, message: "Bad Gateway" } }, 8);
    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.discord.waitFor(() => videoMessages(h).length === 1, 20_000);
    const done = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("✅ Done")), 10_000);
    expect(done.text).not.toContain("took longer");
    expect(await quotaText(h)).toMatch(/Spent \$1\.53 · held for running jobs \$0\.00/);
  });
});
