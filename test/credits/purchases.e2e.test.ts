import { afterEach, describe, expect, it } from "vitest";
import type { FakeEntitlement } from "../fakes/discord/index.js";
import { buyButtons, deliveredVideo, ephemeralText, quotaText, runVideo, startHarness, type Harness } from "../support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Packs on the fake's two consumable SKUs: $5 and $20; no free budget unless told. */
async function shop(env: Record<string, string> = {}): Promise<Harness> {
  h = await startHarness({
    env: ({ discord }) => ({
      CREDIT_PACKS: `${discord.skus[0]!.id}:5,${discord.skus[1]!.id}:20`,
      DEFAULT_QUOTA_USD: "0",
      HTTP_PORT: "0",
      DISCORD_PUBLIC_KEY: discord.publicKey,
      ...env,
    }),
  });
  h.discord.setEventWebhookUrl(`http://127.0.0.1:${h.bot.httpPort}/discord/events`);
  return h;
}


const consumed = (h: Harness, e: FakeEntitlement) => h.discord.waitFor(() => h.discord.entitlement(e.id)?.consumed === true || undefined, 10_000);
const credits = async (h: Harness) => (await quotaText(h)).match(/Credits: (\$[\d,]+\.\d\d(?: below zero)?)/)?.[1];

describe("credit packs", () => {
  it("a refused member is offered the packs; a purchase credits at once and a video runs on it, charged to the credits", async () => {
    const h = await shop();
    const small = h.discord.skus[0]!.id;
    const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const text = await h.discord.waitFor(() => ephemeralText(h, refused), 10_000);
    expect(text).toMatch(/This video would cost \$1\.53, but you have \$0\.00 left/);
    expect(text).toMatch(/Your credits \(\$0\.00\) do not cover the rest/);
    expect(buyButtons(h, refused)).toEqual([small, h.discord.skus[1]!.id]);

    const bought = await h.discord.purchase({ userId: h.discord.users.requester.id, skuId: small });
    await consumed(h, bought);
    const shown = await quotaText(h);
    expect(shown).toMatch(/Credits: \$5\.00/);
    expect(shown).toContain(`https://discord.com/application-directory/${h.discord.applicationId}/store/${small}`);

    await deliveredVideo(h);
    expect(await credits(h)).toBe("$3.47");
    expect(h.logs()).toMatch(/"msg":"credit pack bought"/);
    expect(h.discord.rejections).toEqual([]);
  });

  it("a repeated event, both ways of delivery, a consume that fails and a restart credit a purchase once", async () => {
    const h = await shop();
    const small = h.discord.skus[0]!.id;
    // every consume fails without being done (as if the process died between the credit and the consume)
    const failConsume = { fail: { status: 500, body: { message: "Internal Server Error", code: 0 } } };
    h.discord.setPolicy((r) => (r.route === "entitlement.consume" ? failConsume : undefined));
    const bought = await h.discord.purchase({ userId: h.discord.users.requester.id, skuId: small, deliver: ["gateway", "webhook"] });
    await h.discord.eventDeliveriesSettled();
    await h.discord.replayEntitlementEvent(bought.id, "ENTITLEMENT_CREATE", ["gateway", "webhook"]);
    await h.discord.eventDeliveriesSettled();
    expect(await credits(h)).toBe("$5.00");
    expect(h.discord.entitlement(bought.id)?.consumed).toBe(false);
    // the restart's listing finds it unconsumed: consumed now, not credited again (the process stops
    // first: discord.js retries a 500 by itself, and its retries must meet the failing Discord too)
    await h.bot.stop(2_000, 0);
    expect(h.discord.entitlement(bought.id)?.consumed).toBe(false);
    h.discord.setPolicy(undefined);
    const restarted = await h.restart();
    h.discord.setEventWebhookUrl(`http://127.0.0.1:${restarted.httpPort}/discord/events`);
    await consumed(h, bought);
    expect(await credits(h)).toBe("$5.00");
    // the consume's answer lost after it was done (4xx read back as consumed): still once
    h.discord.setPolicy((r) => (r.route === "entitlement.consume" ? { failAfter: { status: 400, body: { message: "Bad Request", code: 0 } } } : undefined));
    const again = await h.discord.purchase({ userId: h.discord.users.requester.id, skuId: small, deliver: ["webhook"] });
    await consumed(h, again);
    await h.discord.replayEntitlementEvent(again.id, "ENTITLEMENT_CREATE", ["gateway", "webhook"]);
    await h.discord.eventDeliveriesSettled();
    expect(await credits(h)).toBe("$10.00");
    expect(h.discord.eventDeliveries.every((d) => d.status === 204)).toBe(true);
  });

  it("a purchase made while the bot was down is credited at start", async () => {
    const h = await shop();
    await h.bot.stop(2_000, 0);
    const bought = await h.discord.purchase({ userId: h.discord.users.requester.id, skuId: h.discord.skus[1]!.id, deliver: ["gateway"] }); // nobody hears it
    await h.restart();
    await consumed(h, bought);
    expect(await credits(h)).toBe("$20.00");
    expect(h.logs()).toMatch(/"via":"list"[^\n]*"msg":"credit pack bought"/);
  });

  it("a refund by Discord takes the credit back, below zero when spent: new videos are refused until a pack covers it", async () => {
    const h = await shop();
    const small = h.discord.skus[0]!.id;
    const first = await h.discord.purchase({ userId: h.discord.users.requester.id, skuId: small });
    await consumed(h, first);
    await deliveredVideo(h);
    await h.discord.refundPurchase(first.id, { deliver: ["gateway", "webhook"] });
    await h.discord.eventDeliveriesSettled();
    await h.discord.waitFor(async () => ((await credits(h))?.includes("below zero") ? true : undefined), 10_000);
    expect(await quotaText(h)).toMatch(/Credits: \$1\.53 below zero/);
    const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h, refused), 10_000)).toMatch(/Your credits are \$1\.53 below zero/);
    expect(buyButtons(h, refused)).toContain(small);
    const second = await h.discord.purchase({ userId: h.discord.users.requester.id, skuId: h.discord.skus[1]!.id });
    await consumed(h, second);
    expect(await credits(h)).toBe("$18.47");
    await deliveredVideo(h);
  });

  it("Discord's checks of the events endpoint: a bad signature is refused with 401, a ping answered 204", async () => {
    const h = await shop();
    expect(await h.discord.probeEventWebhook("bad-signature")).toBe(401);
    expect(await h.discord.probeEventWebhook("ping")).toBe(204);
    expect(await credits(h)).toBe("$0.00");
  });

  it("a test purchase (Application Test Mode) credits like a real one and is logged as a test", async () => {
    const h = await shop();
    const bought = await h.discord.purchase({ userId: h.discord.users.requester.id, skuId: h.discord.skus[0]!.id, test: true });
    await consumed(h, bought);
    expect(await credits(h)).toBe("$5.00");
    expect(h.logs()).toMatch(/"test":true[^\n]*"msg":"credit pack bought \(a test purchase\)"/);
  });

  it("credits pay when the caps are used up: the caps bind what the operator gives away, not what members pay", async () => {
    const h = await shop({ SPEND_CAP_USD: "0", DEFAULT_QUOTA_USD: "100" });
    const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h, refused), 10_000)).toMatch(/The bot's overall budget for this period is used up/);
    const bought = await h.discord.purchase({ userId: h.discord.users.requester.id, skuId: h.discord.skus[0]!.id });
    await consumed(h, bought);
    await deliveredVideo(h);
    expect(await credits(h)).toBe("$3.47");
    const status = await h.discord.slashCommand({ name: "operator", user: h.discord.owner, options: [{ name: "status", type: 1, options: [] }] });
    expect(await h.discord.waitFor(() => ephemeralText(h, status), 10_000)).toMatch(/Credits this period: sold \$5\.00 · spent \$1\.53 · paying \$1\.53 of the bills and holds above · taken back \$0\.00 · members hold \$3\.47/);
  });
});
