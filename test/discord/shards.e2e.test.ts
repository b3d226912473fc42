import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BotProcess, ROOT } from "../support/child.js";
import { asHarness, bootShard as boot, closeCluster, members, mostAtFalAtOnce, startCluster as start, video, videoPosts, type Cluster } from "../support/cluster.js";
import { ephemeralText } from "../support/harness.js";
import { freePort } from "../support/net.js";

const startCluster = async (...args: Parameters<typeof start>) => (cluster = await start(...args));
const bootShard = boot;

let cluster: Cluster | undefined;
afterEach(async () => {
  await closeCluster(cluster);
  cluster = undefined;
});

describe("two processes, a shard each, one Redis", () => {
  it("a burst in both guilds is held exactly to the shared spend cap and MAX_CONCURRENT_JOBS; each job is delivered once; each process identifies its own shard; commands are registered once", async () => {
    // six 5 s 720p videos fit the cap ($9.20 ≥ 6 × $1.5246), the seventh does not
    const c = await startCluster({ queuePositions: [0], stepMs: 50, runMs: 700 }, { SPEND_CAP_USD: "9.20", MAX_CONCURRENT_JOBS: "2", DEFAULT_QUOTA_USD: "100" });
    // starting together, they register the commands once (the first registration is slow, so they overlap)
    c.discord.holdNext({ method: "PUT", path: /^\/applications\/\d+\/commands$/ }, 1_500);
    const [a, b] = await Promise.all([bootShard(c, 0), bootShard(c, 1)]);
    expect(c.discord.identifiedShards().map(String).sort()).toEqual(["0,2", "1,2"]);
    expect(a.output()).toMatch(/"shards":\[0\],"shardCount":2/);
    expect(b.output()).toMatch(/"shards":\[1\],"shardCount":2/);
    expect(c.discord.commandRegistrations()).toBe(1);

    const users = members(c.discord, 12);
    const sent = await Promise.all(users.map((user, i) => video(c, i % 2, user, `take ${i}`)));
    const answers = await Promise.all(
      sent.map((i) => c.discord.waitFor(() => ephemeralText(asHarness(c), i) ?? (c.discord.messages().some((m) => m.interactionId === i.id && m.text.includes("Estimated cost")) && "started"), 15_000)),
    );
    expect(answers.filter((x) => x === "started")).toHaveLength(6);
    expect(answers.filter((x) => /overall budget for this period is used up/.test(x))).toHaveLength(6);
    await c.discord.waitFor(() => videoPosts(c).length === 6, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(videoPosts(c)).toHaveLength(6);
    expect(new Set(videoPosts(c).map((m) => m.text.match(/take \d+/)?.[0])).size).toBe(6);
    expect(c.fal.submissions).toHaveLength(6);
    expect(mostAtFalAtOnce(c.fal)).toBe(2);
    // both processes did work: each answered its own guild's six commands (started or refused by the shared cap)
    expect(answers.filter((x, i) => i % 2 === 0 && x)).toHaveLength(6);
    expect(answers.filter((x, i) => i % 2 === 1 && x)).toHaveLength(6);
  });

  it("a process killed while its job renders: the other takes the job over once its lease lapses and delivers it exactly once", async () => {
    const c = await startCluster({ queuePositions: [0], stepMs: 50, runMs: 4_000 });
    const a = await bootShard(c, 0);
    const b = await bootShard(c, 1);
    const i = await video(c, 0, c.discord.users.requester);
    await c.discord.waitFor(() => c.discord.messages().find((m) => m.interactionId === i.id && m.text.includes("Rendering since")), 10_000);
    await a.kill("SIGKILL");
    await c.discord.waitFor(() => videoPosts(c).length === 1, 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(videoPosts(c)).toHaveLength(1);
    expect(c.fal.submissions).toHaveLength(1);
    expect(b.output()).toMatch(/"msg":"submitted to fal"|"resumed"|budget settled/);
  });

  it("fal's webhook may reach the process that does not drive the job: it is handed over through Redis", async () => {
    const port = await freePort();
    const c = await startCluster({ queuePositions: [0], stepMs: 50, runMs: 300 });
    const webhook = { FAL_WEBHOOK_URL: `http://127.0.0.1:${port}/fal/webhook`, FAL_JWKS_URL: c.fal.jwksUrl };
    await bootShard(c, 0, webhook);
    const b = await bootShard(c, 1, { ...webhook, HTTP_PORT: String(port) }); // only B listens
    c.fal.failNext({ method: "GET", target: /\/status/ }, { status: 500, body: { detail: "status is down" } }, 1_000);
    const i = await video(c, 0, c.discord.users.requester); // driven by A
    await c.discord.waitFor(() => videoPosts(c).length === 1, 15_000);
    expect(c.fal.webhooks.filter((w) => w.status === 200)).toHaveLength(1);
    expect(b.output()).toMatch(/"msg":"fal webhook received"/);
    await c.discord.waitFor(() => c.discord.messages().find((m) => m.interactionId === i.id && m.text.includes("✅ Done")), 5_000);
  });
});

describe("start:sharded", () => {
  it("runs every shard of the machine under discord.js's ShardingManager, each in a process of its own", async () => {
    const c = await startCluster({ queuePositions: [0], stepMs: 50, runMs: 200 });
    const manager = await BotProcess.start(c.env, { command: process.execPath, args: [join(ROOT, "dist/src/sharded.js")], group: true, readyTimeoutMs: 40_000 });
    c.bots.push(manager);
    await manager.waitForLog(/"msg":"bot ready"[\s\S]*"msg":"bot ready"/, 40_000);
    expect(c.discord.identifiedShards().map(String).sort()).toEqual(["0,2", "1,2"]);
    const i = await video(c, 1, c.discord.users.requester);
    await c.discord.waitFor(() => c.discord.messages().find((m) => m.interactionId === i.id && m.text.includes("✅ Done")), 15_000);
  }, 60_000);

  it("a process that runs only some shards on an embedded store refuses to start, saying why in one line", async () => {
    const c = await startCluster({});
    const err = await BotProcess.start({ ...c.env, STORE_URL: "sqlite://bot.sqlite", SHARD_IDS: "1" }).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/Configuration error: SHARD_IDS runs only some of the shards, so other processes run the rest: set STORE_URL=redis:\/\/… so they share one store/);
  });
});
