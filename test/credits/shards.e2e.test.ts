import { afterEach, describe, expect, it } from "vitest";
import { asHarness, bootShard, closeCluster, members, startCluster, video, videoPosts, type Cluster } from "../support/cluster.js";
import { ephemeralText } from "../support/harness.js";

let cluster: Cluster | undefined;
afterEach(async () => {
  await closeCluster(cluster);
  cluster = undefined;
});

describe("credit packs on two processes, a shard each, one Redis", () => {
  it("the purchase event reaches only shard 0's process; the buyer, whose server is on shard 1, spends the credit there", async () => {
    const c = (cluster = await startCluster({ queuePositions: [0], stepMs: 50, runMs: 200 }, { DEFAULT_QUOTA_USD: "0" }));
    const small = c.discord.skus[0]!.id;
    c.env.CREDIT_PACKS = `${small}:5`;
    const a = await bootShard(c, 0);
    const b = await bootShard(c, 1);
    const buyer = members(c.discord, 1)[0]!;

    const refused = await video(c, 1, buyer, "before buying");
    expect(await c.discord.waitFor(() => ephemeralText(asHarness(c), refused), 15_000)).toMatch(/you have \$0\.00 left/);

    const bought = await c.discord.purchase({ userId: buyer.id, skuId: small, deliver: ["gateway"] });
    await c.discord.waitFor(() => c.discord.entitlement(bought.id)?.consumed || undefined, 15_000);
    await a.waitForLog(/"msg":"credit pack bought"/);
    expect(b.output()).not.toMatch(/"msg":"credit pack bought"/);

    const paid = await video(c, 1, buyer, "after buying");
    await c.discord.waitFor(() => c.discord.messages().find((m) => m.interactionId === paid.id && m.text.includes("✅ Done")), 20_000);
    expect(videoPosts(c)).toHaveLength(1);
    await b.waitForLog(/"msg":"budget settled"/);
    expect(c.discord.rejections).toEqual([]);
  }, 60_000);
});
