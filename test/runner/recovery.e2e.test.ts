import { afterEach, describe, expect, it } from "vitest";
import { answersTo, ephemeralText, FAL_KEY, quotaText, runVideo, startHarness } from "../support/harness.js";
import { BotProcess } from "../support/child.js";
import { asHarness, boot, budgetOf, closeWorld, startWorld as makeWorld, videoPosts, type World } from "../support/world.js";

let world: World | undefined;
afterEach(async () => {
  await closeWorld(world);
  world = undefined;
});

async function startWorld(...args: Parameters<typeof makeWorld>): Promise<World> {
  world = await makeWorld(...args);
  return world;
}



async function expectDeliveredOnce(w: World): Promise<void> {
  await w.discord.waitFor(() => videoPosts(w).length >= 1, 20_000);
  await w.discord.waitFor(() => w.discord.messages().find((m) => m.text.includes("✅ Done")), 10_000);
  expect(videoPosts(w)).toHaveLength(1);
  expect(w.fal.submissions).toHaveLength(1);
  expect(await budgetOf(w)).toMatch(/Spent \$1\.53 · held for running jobs \$0\.00/);
}

describe("jobs survive a killed bot", () => {
  it("killed while queued at fal: resumed by request id, never submitted twice", async () => {
    const w = await startWorld({ queuePositions: [2, 1, 0], stepMs: 1500, runMs: 300 });
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.discord.waitFor(() => w.discord.messages().find((m) => m.text.includes("Queued at fal")), 10_000);
    await bot.kill("SIGKILL");
    await boot(w);
    await expectDeliveredOnce(w);
  });

  it("killed while rendering: resumed and delivered once", async () => {
    const w = await startWorld({ queuePositions: [0], stepMs: 100, runMs: 2500, logs: ["Loading", "Generating"] });
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.discord.waitFor(() => w.discord.messages().find((m) => m.text.includes("Rendering since")), 10_000);
    await bot.kill("SIGKILL");
    await boot(w);
    await expectDeliveredOnce(w);
  });

  it("killed after Discord took the video but before the bot recorded it: the nonce keeps it to one message", async () => {
    const w = await startWorld({ queuePositions: [0], stepMs: 50, runMs: 100 });
    w.discord.holdNext({ method: "POST", path: /^\/channels\/\d+\/messages$/ }, 5_000);
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.discord.waitFor(() => videoPosts(w).length === 1, 10_000); // created, answer held back
    await bot.kill("SIGKILL");
    await boot(w);
    await w.discord.waitFor(
      () => w.discord.requests.filter((r) => r.method === "POST" && r.path.endsWith("/messages") && (r.files?.length ?? 0) > 0).length === 2,
      10_000,
    );
    const attempts = w.discord.requests.filter((r) => r.method === "POST" && (r.files?.length ?? 0) > 0);
    expect((attempts[0]!.json as any).nonce).toBe((attempts[1]!.json as any).nonce);
    expect((attempts[1]!.json as any).enforce_nonce).toBe(true);
    expect(attempts.every((r) => r.auth === `Bot ${w.discord.token}`)).toBe(true);
    await expectDeliveredOnce(w);
  });

  it("SIGTERM: exits cleanly within 10 s and the next start finishes the job", async () => {
    const w = await startWorld({ queuePositions: [1, 0], stepMs: 1500, runMs: 200 });
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.discord.waitFor(() => w.fal.submissions.length === 1, 10_000);
    const ended = await bot.kill("SIGTERM");
    expect(ended.code).toBe(0);
    expect(ended.ms).toBeLessThan(10_000);
    expect(bot.output()).toContain("bot stopped");
    await boot(w);
    await expectDeliveredOnce(w);
    for (const b of w.bots) {
      expect(b.output()).not.toContain(w.discord.token);
      expect(b.output()).not.toContain(FAL_KEY);
    }
  });
});

const downloads = (w: World) => w.discord.requests.filter((r) => r.method === "GET" && /^\/(ephemeral-)?attachments\//.test(r.path) && r.status === 200);
const SUBMIT = { method: "POST", target: /\/image-to-video$/ };


describe("what a restart does, state by state (the README's table)", () => {
  it("submitting: cannot know whether fal got it, so refunds, says so and never sends it again", async () => {
    const w = await startWorld({ queuePositions: [0], stepMs: 50, runMs: 200 });
    w.fal.holdNext(SUBMIT, 1_500);
    const bot = await boot(w);
    const interaction = await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.fal.waitFor(() => w.fal.requests.some((r) => r.method === "POST" && /image-to-video$/.test(r.path)), 10_000);
    await bot.kill("SIGKILL"); // the submit is on its way; fal queues it after the bot died
    await w.fal.waitFor(() => w.fal.submissions.length === 1, 5_000);
    const next = await boot(w);
    const ended = await w.discord.waitFor(() => w.discord.messages().find((m) => m.interactionId === interaction.id && m.text.includes("was not sent again")), 15_000);
    expect(ended.text).toContain("Nothing was charged");
    await new Promise((r) => setTimeout(r, 1_000));
    expect(w.fal.submissions).toHaveLength(1);
    expect(videoPosts(w)).toHaveLength(0);
    expect(await budgetOf(w)).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
    expect(next.output()).toMatch(/fal may have queued and billed it/);
  });

  it("accepted: fetches the picture again from Discord and goes on, delivered and charged once", async () => {
    const w = await startWorld({ queuePositions: [0], stepMs: 50, runMs: 200 });
    w.fal.holdNext({ method: "POST", target: /\/storage\/upload\/initiate/ }, 3_000);
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.fal.waitFor(() => w.fal.requests.some((r) => /\/storage\/upload\/initiate/.test(r.path)), 10_000);
    await bot.kill("SIGKILL");
    await boot(w);
    await w.discord.waitFor(() => videoPosts(w).length === 1, 20_000);
    await w.discord.waitFor(() => w.discord.messages().find((m) => m.text.includes("✅ Done")), 10_000);
    expect(downloads(w)).toHaveLength(2); // once by the first process, once after the restart
    expect(w.fal.submissions).toHaveLength(1);
    expect(w.fal.submissions[0]!.input.image_url).toBe(w.fal.uploads.at(-1)!.fileUrl);
    expect(await budgetOf(w)).toMatch(/Spent \$1\.53 · held for running jobs \$0\.00/);
  });

  it("image_stored: submits the job to fal once, with the picture already in fal storage", async () => {
    const w = await startWorld({ queuePositions: [0], stepMs: 50, runMs: 6_000 }, { MAX_CONCURRENT_JOBS: "1" });
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9", prompt: "first" });
    await w.fal.waitFor(() => w.fal.submissions.length === 1, 10_000);
    const second = await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9", prompt: "second" });
    await w.discord.waitFor(() => w.discord.messages().find((m) => m.interactionId === second.id && m.text.includes("Waiting for a free slot")), 10_000);
    expect(w.fal.uploads).toHaveLength(2);
    await bot.kill("SIGKILL");
    await boot(w);
    await w.discord.waitFor(() => videoPosts(w).length === 2, 20_000);
    expect(w.fal.submissions.map((s) => s.input.prompt)).toEqual(["first", "second"]);
    expect(w.fal.uploads).toHaveLength(2); // nothing uploaded again
    expect(w.fal.submissions[1]!.input.image_url).toBe(w.fal.uploads[1]!.fileUrl);
    // the one fal slot was respected across the restart: the second went to fal after the first was done
    expect(w.fal.submissions[1]!.at).toBeGreaterThanOrEqual(w.fal.jobs.get(w.fal.submissions[0]!.requestId)!.completedAt!);
  });
});

describe("the member's card always shows the end", () => {
  it("a final edit that fails (or a process that dies before it) is made again by the next pass, and the job leaves the active set only then", async () => {
    const h = await startHarness({ env: { JOB_LEASE_SECONDS: "3" }, fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 300 } } });
    try {
      const { discord } = h;
      // once the video is posted, Discord fails every edit of the card for 2.5 seconds (longer than the job's run)
      let failUntil = 0;
      discord.setPolicy((r) => {
        if (r.route === "message.create" && r.files > 0) failUntil = Date.now() + 2_500;
        if ((r.route === "webhook.edit" || r.route === "message.edit") && Date.now() < failUntil) return { fail: { status: 502, body: { code: 0, message: "Bad Gateway" } } };
        return undefined;
      });
      const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
      await discord.waitFor(() => videoPosts({ discord }).length === 1, 15_000);
      await discord.waitFor(() => /"msg":"progress edit failed"/.test(h.logs()), 10_000);
      expect(discord.messages().find((m) => m.interactionId === i.id)?.text).not.toContain("✅ Done");
      const done = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === i.id && m.text.includes("✅ Done")), 15_000);
      expect(done).toBeDefined();
      const started = Date.now();
      while ((await h.bot.services.repo.activeIds()).length && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 100));
      expect(await h.bot.services.repo.activeIds()).toEqual([]);
    } finally {
      await h.close();
    }
  });
});

describe("one process per SQLite file", () => {
  it("a second bot on the same file is refused with one line naming the first; once that one is dead, a new start takes the file over", async () => {
    const w = await startWorld({});
    const first = await boot(w);
    const second = await BotProcess.start(w.env).then(() => null, (err: Error) => err);
    expect(second?.message).toMatch(new RegExp(`Configuration error: another bot process \\(pid ${first.pid} on [^)]+\\) uses .*bot\\.sqlite; run one process per SQLite file`));
    await first.kill("SIGKILL"); // its lock file stays behind
    await boot(w);
  });
});

describe("a restart before the hold is confirmed", () => {
  it("ends the job in the member's own deferred reply (its token is kept with the job), and posts no new public message", async () => {
    const h = await startHarness();
    try {
      const { discord } = h;
      // the bot dies after the job is saved with its planned hold, before the ledger answers
      h.bot.services.budget.ledger.reserve = () => new Promise(() => undefined);
      const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
      await discord.waitFor(() => answersTo(h, i).some((r) => r.status === 204), 5_000); // deferred: "thinking…"
      await new Promise((r) => setTimeout(r, 300));
      await h.restart();
      const edited = await discord.waitFor(() => discord.messages().find((m) => m.interactionId === i.id && m.text.includes("restarted before your budget was checked")), 10_000);
      expect(edited.text).toContain("Nothing was charged");
      const channelPosts = discord.requests.filter((r) => r.method === "POST" && r.path === `/channels/${discord.channelId}/messages`);
      expect(channelPosts).toEqual([]); // no ghost card
      expect(await quotaText(h)).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
    } finally {
      await h.close();
    }
  });
});

describe("SIGTERM", () => {
  it("while commands arrive: each is answered 'restarting', nothing starts, and the process exits cleanly", async () => {
    const w = await startWorld({ queuePositions: [3, 2, 1, 0], stepMs: 2_000 });
    const bot = await boot(w);
    await runVideo(asHarness(w), { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await w.fal.waitFor(() => w.fal.submissions.length === 1, 10_000);
    const exited = bot.kill("SIGTERM");
    await bot.waitForLog(/SIGTERM received/); // commands from here on reach a bot that is stopping
    const sent = [];
    // keep sending commands until the gateway closes under them
    for (let i = 0; i < 50 && w.discord.connectedSessions() > 0; i++) {
      try {
        sent.push(await runVideo(asHarness(w), { duration: 5, prompt: `late ${i}` }));
      } catch {
        break; // no session any more
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const ended = await exited;
    expect(ended.code).toBe(0);
    const answered = sent.map((i) => ephemeralText(asHarness(w), i)).filter((t): t is string => t !== undefined);
    expect(answered.length).toBeGreaterThan(0);
    for (const text of answered) expect(text).toMatch(/The bot is restarting/);
    expect(w.fal.submissions).toHaveLength(1);
    expect(w.fal.uploads).toHaveLength(1);
    expect(w.discord.messages().filter((m) => /late \d+/.test(m.text))).toEqual([]);
  });
});
