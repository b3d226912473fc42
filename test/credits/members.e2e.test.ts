import { afterEach, describe, expect, it } from "vitest";
import { startBot } from "../../src/bot.js";
import { parseConfig } from "../../src/config/env.js";
import { allComponents, startFakeDiscord } from "../fakes/discord/index.js";
import { startFakeFal } from "../fakes/fal/index.js";
import { fakeEnv } from "../support/child.js";
import { buyButtons, deliveredVideo, ephemeralText, FAL_KEY, runVideo, startHarness, type Harness } from "../support/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});


/** The bot's private notes through interaction webhooks that say the balance is low. */
const lowNotes = (h: Harness) =>
  h.discord.requests.filter((r) => r.method === "POST" && r.path.startsWith("/webhooks/") && r.status < 300 && /^🔔/.test(String((r.json as { content?: string } | undefined)?.content)));

describe("what a member sees of credit packs", () => {
  it("is told once, privately, when budget and credits fall below what the last video cost, with the packs to buy", async () => {
    // $3.67 of credits: two 720p videos ($1.5246 each) leave $0.62, below a third but enough for a 480p 4 s ($0.5683)
    h = await startHarness({ env: ({ discord }) => ({ CREDIT_PACKS: `${discord.skus[0]!.id}:3.67`, DEFAULT_QUOTA_USD: "0" }) });
    const bought = await h.discord.purchase({ userId: h.discord.users.requester.id, skuId: h.discord.skus[0]!.id });
    await h.discord.waitFor(() => h!.discord.entitlement(bought.id)?.consumed || undefined, 10_000);
    await deliveredVideo(h);
    await new Promise((r) => setTimeout(r, 300));
    expect(lowNotes(h)).toHaveLength(0);
    // a member whose Discord speaks Spanish, in an English server: only they read the note, in Spanish
    const second = await deliveredVideo(h, { locale: "es-ES" });
    const note = await h.discord.waitFor(() => lowNotes(h!)[0], 10_000);
    expect(note.path).toContain(second.interaction.token);
    expect((note.json as { flags: number }).flags & 64).toBe(64);
    expect((note.json as { content: string }).content).toMatch(/^🔔 Saldo bajo: tu presupuesto \(0,00\sUS\$\) y tus créditos \(0,62\sUS\$\) no llegan a lo que costó tu último vídeo \(1,53\sUS\$\)/);
    expect(allComponents((note.json as { components: unknown[] }).components).filter((c) => (c as { style?: number }).style === 6)).toHaveLength(1);
    await deliveredVideo(h, { resolution: "480p", duration: 4 });
    await new Promise((r) => setTimeout(r, 300));
    expect(lowNotes(h)).toHaveLength(1);
    expect(h.discord.rejections).toEqual([]);
  });

  it("the price question offers the packs when the budget and credits do not cover the video", async () => {
    h = await startHarness({ env: ({ discord }) => ({ CREDIT_PACKS: `${discord.skus[1]!.id}:20`, DEFAULT_QUOTA_USD: "1" }) });
    const set = await h.discord.slashCommand({ name: "settings", user: h.discord.users.admin, options: [{ name: "limits", type: 1, options: [{ name: "confirm_above_usd", type: 10, value: 0.5 }] }] as never });
    expect(await h.discord.waitFor(() => ephemeralText(h!, set))).toMatch(/Saved/);
    const asked = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    const question = await h.discord.waitFor(() => ephemeralText(h!, asked), 10_000);
    expect(question).toMatch(/This video will cost up to \$1\.53\. Generate it\?\nYour budget and credits \(\$1\.00 in all\) do not cover it now/);
    expect(buyButtons(h, asked)).toEqual([h.discord.skus[1]!.id]);
    // covered: the question has no buy buttons
    const cheap = await runVideo(h, { duration: 4, resolution: "480p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h!, cheap), 10_000)).not.toMatch(/credits/);
    expect(buyButtons(h, cheap)).toEqual([]);
    expect(h.discord.rejections).toEqual([]);
  });

  it("without CREDIT_PACKS nothing of credits shows: no buttons, no balance, no note", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "0" } });
    const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h!, refused), 10_000)).not.toMatch(/credit/i);
    expect(buyButtons(h, refused)).toEqual([]);
    const help = await h.discord.slashCommand({ name: "help", options: [] });
    expect(await h.discord.waitFor(() => ephemeralText(h!, help), 10_000)).not.toMatch(/credit/i);
  });

  it("/help shows the balance and the packs' store links", async () => {
    h = await startHarness({ env: ({ discord }) => ({ CREDIT_PACKS: `${discord.skus[0]!.id}:5` }) });
    const help = await h.discord.slashCommand({ name: "help", options: [] });
    const text = await h.discord.waitFor(() => ephemeralText(h!, help), 10_000);
    expect(text).toMatch(/Credits: \$0\.00/);
    expect(text).toContain(`• **Small pack**: $5.00 of credits https://discord.com/application-directory/${h.discord.applicationId}/store/${h.discord.skus[0]!.id}`);
  });
});

describe("the packs are checked at start", () => {
  it("a pack whose SKU is missing or not consumable stops start-up with one line naming it", async () => {
    const discord = await startFakeDiscord();
    const fal = await startFakeFal({ key: FAL_KEY });
    try {
      const env = fakeEnv(discord, fal, FAL_KEY);
      const durable = discord.skus.find((s) => s.type === 2)!;
      await expect(startBot(parseConfig({ ...env, LOG_LEVEL: "silent", CREDIT_PACKS: `${durable.id}:5` }))).rejects.toThrow(
        new RegExp(`^Configuration error: CREDIT_PACKS names SKU ${durable.id} \\("Supporter"\\), which is not consumable`),
      );
      await expect(startBot(parseConfig({ ...env, LOG_LEVEL: "silent", CREDIT_PACKS: "1234567890123456789:5" }))).rejects.toThrow(
        /^Configuration error: CREDIT_PACKS names SKU 1234567890123456789, which this application does not have/,
      );
    } finally {
      await discord.close();
      await fal.close();
    }
  });
});
