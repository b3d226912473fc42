import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { bootShard, closeCluster, members, mostAtFalAtOnce, ownRedis, startCluster, video, videoPosts, asHarness, type Cluster, type OwnRedis } from "../support/cluster.js";
import { buttonOf, ephemeralText, quotaText, runVideo, startHarness } from "../support/harness.js";
import { REDIS_URL } from "../support/redis.js";

let cluster: Cluster | undefined;
let redis: OwnRedis | undefined;
afterEach(async () => {
  await closeCluster(cluster);
  redis?.stop();
  cluster = undefined;
  redis = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cardOf = (c: Cluster, interactionId: string, showing: string) =>
  c.discord.waitFor(() => c.discord.messages().find((m) => m.interactionId === interactionId && m.text.includes(showing)), 15_000);

describe("one driver per job, whatever stalls", () => {
  it("a process stopped past its lease neither submits nor writes the jobs it lost: each reaches fal once, and fal never runs more than MAX_CONCURRENT_JOBS", async () => {
    // one fal slot; A drives one rendering job and two waiting in its own queue
    const c = (cluster = await startCluster({ queuePositions: [0], stepMs: 50, runMs: 5_000 }, { MAX_CONCURRENT_JOBS: "1", JOB_LEASE_SECONDS: "3" }));
    const a = await bootShard(c, 0);
    const b = await bootShard(c, 1);
    const [u1, u2, u3] = members(c.discord, 3);
    const first = await video(c, 0, u1!, "first");
    await cardOf(c, first.id, "Rendering since");
    const waiting = [await video(c, 0, u2!, "second"), await video(c, 0, u3!, "third")];
    for (const w of waiting) await cardOf(c, w.id, "Waiting for a free slot");

    process.kill(a.pid, "SIGSTOP"); // A stalls past its lease; B takes its jobs over
    await sleep(8_000);
    process.kill(a.pid, "SIGCONT");

    await c.discord.waitFor(() => videoPosts(c).length === 3, 40_000);
    await sleep(1_500);
    expect(c.fal.submissions.map((s) => s.input.prompt).sort()).toEqual(["first", "second", "third"]);
    expect(mostAtFalAtOnce(c.fal)).toBe(1);
    expect(videoPosts(c)).toHaveLength(3);
    expect(b.output()).toMatch(/"msg":"submitted to fal"/);
    expect(a.output()).toMatch(/lost a job's lease/);
    for (const user of [u1!, u2!, u3!]) expect(await quotaText(asHarness(c), user)).toMatch(/Spent \$1\.53 · held for running jobs \$0\.00 · jobs in progress 0/);
  }, 90_000);

  it("a process stopped past its lease, when it wakes, paints nothing over the card its successor finished", async () => {
    const c = (cluster = await startCluster({ queuePositions: [0], stepMs: 50, runMs: 4_000 }, { JOB_LEASE_SECONDS: "3", PROGRESS_EDIT_INTERVAL_MS: "200" }));
    const a = await bootShard(c, 0);
    await bootShard(c, 1);
    const i = await video(c, 0, c.discord.users.requester, "woken late");
    const card = await cardOf(c, i.id, "Rendering since");
    process.kill(a.pid, "SIGSTOP"); // fal's progress piles up in A's socket meanwhile
    await cardOf(c, i.id, "✅ Done"); // B took the job over and finished it
    process.kill(a.pid, "SIGCONT");
    await c.discord.waitFor(() => /lost a job's lease/.test(a.output()), 15_000);
    await sleep(1_500);
    expect(c.discord.message(card.id)?.text).toMatch(/✅ Done/);
    expect(videoPosts(c)).toHaveLength(1);
  }, 60_000);

  it("a process stopped between recording a job and holding its budget: the process that takes the job over ends it in the member's reply, and the late hold is refused and holds nothing", async () => {
    const c = (cluster = await startCluster({}, { JOB_LEASE_SECONDS: "3" }));
    const a = await bootShard(c, 0);
    await bootShard(c, 1);
    let stopped = false;
    // A stalls right as it acknowledges: the job is recorded, its hold not yet asked for
    c.discord.setPolicy((r) => {
      if (r.route === "interaction.callback" && !stopped) {
        stopped = true;
        process.kill(a.pid, "SIGSTOP");
      }
      return undefined;
    });
    const i = await video(c, 0, c.discord.users.requester);
    await c.discord.waitFor(() => stopped, 10_000);
    const ended = await cardOf(c, i.id, "restarted before your budget was checked");
    process.kill(a.pid, "SIGCONT");
    await c.discord.waitFor(() => /lost the lease of a job that never started/.test(a.output()), 10_000);
    await sleep(1_000);
    expect(c.fal.submissions).toHaveLength(0);
    // the late hold found the job closed: nothing held, nothing in flight, and the end stays shown
    expect(await quotaText(asHarness(c))).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
    expect(c.discord.message(ended.id)?.deleted).toBeFalsy();
    expect(c.discord.message(ended.id)?.text).toMatch(/restarted before your budget was checked/);
  }, 60_000);

  it("a cancel pressed where another process drives the job (after a takeover) reaches that process: 'cancel requested', then cancelled", async () => {
    const c = (cluster = await startCluster({ queuePositions: [4, 3, 2, 1, 0], stepMs: 4_000, runMs: 300 }, { JOB_LEASE_SECONDS: "3" }));
    const a = await bootShard(c, 0);
    await bootShard(c, 1);
    const i = await video(c, 0, c.discord.users.requester);
    const queued = await cardOf(c, i.id, "Queued at fal: position");
    await a.kill("SIGKILL");
    await sleep(4_500); // A's lease lapses: B drives the job now
    await bootShard(c, 0); // a new process for guild 0 receives the press
    const press = await c.discord.clickButton({ messageId: queued.id, customId: buttonOf(queued, "cancel").custom_id, user: c.discord.users.requester });
    expect(await c.discord.waitFor(() => ephemeralText(asHarness(c), press), 10_000)).toMatch(/Cancel requested/);
    await cardOf(c, i.id, "Cancelled by");
    expect(c.fal.cancels).toEqual([c.fal.submissions[0]!.requestId]);
    expect(await quotaText(asHarness(c))).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
  }, 60_000);
});

describe("Redis restarting", () => {
  it("is ridden out: the processes stay up, commands meanwhile are refused politely, the job in flight resumes and is posted once", async () => {
    redis = await ownRedis("--appendonly", "yes", "--appendfsync", "always");
    const c = (cluster = await startCluster({ queuePositions: [0], stepMs: 50, runMs: 4_000 }, {}, redis.url));
    const a = await bootShard(c, 0);
    const b = await bootShard(c, 1);
    const [u1, u2] = members(c.discord, 2);
    const first = await video(c, 0, u1!, "rides it out");
    await cardOf(c, first.id, "Rendering since");

    const restarted = redis.restart(3_000);
    await sleep(800); // Redis is down
    const during = await video(c, 1, u2!, "while Redis is away");
    expect(await c.discord.waitFor(() => ephemeralText(asHarness(c), during), 10_000)).toMatch(/storage is not answering|Nothing was started or charged/);
    await restarted;

    await c.discord.waitFor(() => videoPosts(c).length === 1, 30_000);
    await sleep(1_500);
    expect(videoPosts(c)).toHaveLength(1);
    expect(c.fal.submissions.map((s) => s.input.prompt)).toEqual(["rides it out"]);
    for (const bot of [a, b]) expect(bot.alive).toBe(true);
    expect(`${a.output()}${b.output()}`).not.toMatch(/SocketClosedUnexpectedlyError[\s\S]*exit|Unhandled/);
    // and after it, commands work again
    const after = await video(c, 1, u2!, "after Redis came back");
    await cardOf(c, after.id, "✅ Done");
  }, 90_000);

  it("a job whose render starts while Redis is away (its state change refused on the status stream) keeps its process up and is posted once", async () => {
    redis = await ownRedis("--appendonly", "yes", "--appendfsync", "always");
    const c = (cluster = await startCluster({ queuePositions: [2, 1], stepMs: 1_200, runMs: 1_500 }, {}, redis.url));
    const a = await bootShard(c, 0);
    const i = await video(c, 0, c.discord.users.requester, "starts during the outage");
    await cardOf(c, i.id, "Queued at fal: position 2");
    // the render starts within the outage: writing 'running' fails while the stream is open
    await redis.restart(3_500);
    await cardOf(c, i.id, "✅ Done");
    await sleep(1_000);
    expect(a.alive).toBe(true);
    expect(videoPosts(c)).toHaveLength(1);
    expect(c.fal.submissions).toHaveLength(1);
    expect(a.output()).not.toMatch(/Unhandled|Node\.js v\d+/);
  }, 90_000);
});

describe("fencing, step by step", () => {
  for (const store of ["SQLite", "Redis"] as const) {
    it(`a job whose lease another process took is neither submitted nor written by the old driver (${store})`, async () => {
      // one fal slot: B waits behind A; the lease upkeep (every 20 s) does not run in the test's time
      const h = await startHarness({
        env: { MAX_CONCURRENT_JOBS: "1" },
        fal: { timeline: { queuePositions: [0], stepMs: 50, runMs: 2_000 } },
        ...(store === "Redis" ? { storeUrl: `${REDIS_URL}?namespace=test-${randomUUID()}` } : {}),
      });
      try {
        const [u1, u2] = [h.discord.users.requester, h.discord.users.stranger];
        const a = await runVideo(h, { duration: 5, prompt: "A", user: u1 });
        await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === a.id && m.text.includes("Rendering since")), 10_000);
        const b = await runVideo(h, { duration: 5, prompt: "B", user: u2 });
        await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === b.id && m.text.includes("Waiting for a free slot")), 10_000);
        const { store: s, repo } = h.bot.services;
        const jobB = (await Promise.all((await repo.activeIds()).map((id) => repo.get(id)))).find((j) => j?.params.prompt === "B");
        expect(jobB).toBeDefined();
        // another process takes B over (its lease lapsed while this one stalled, say)
        if (s.sql) await s.sql(`UPDATE ${s.prefix}_leases SET token = 'another-process' WHERE name = ?`, jobB!.id);
        else await s.redis!.eval("redis.call('SET', KEYS[1], 'another-process', 'PX', 60000) return 1", { keys: [s.leaseKey(jobB!.id)], arguments: [] });
        await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === a.id && m.text.includes("✅ Done")), 15_000);
        await sleep(1_500);
        expect(h.fal.submissions.map((x) => x.input.prompt)).toEqual(["A"]);
        expect((await repo.get(jobB!.id))?.state).toBe("image_stored"); // nothing written over the new driver's record
        expect(h.logs()).toMatch(/lost a job's lease/);
      } finally {
        await h.close();
      }
    });
  }
});
