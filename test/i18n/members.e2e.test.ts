import { renderDiscordMarkdown } from "../fakes/discord/markdown.js";
import { writeJob } from "../support/records.js";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { fineMoney, money, t } from "../../src/i18n/index.js";
import type { Job } from "../../src/jobs/job.js";
import { costMicros, FRAME_SIZES, perSecondMicros, tierOf } from "../../src/seedance/pricing.js";
import type { FakeUser } from "../fakes/discord/index.js";
import { answersTo, deliveredVideo, doneMessage, ephemeralText, quotaText, runVideo, startHarness, videoMessages, type Harness, buttonOf } from "../support/harness.js";

let h: Harness;
afterEach(async () => h?.close());

const downloads = (h: Harness) => h.discord.requests.filter((r) => r.method === "GET" && /^\/(ephemeral-)?attachments\//.test(r.path));
const command = async (h: Harness, name: string, options: Array<Record<string, unknown>> = [], extra: { user?: FakeUser; locale?: string } = {}) => {
  const i = await h.discord.slashCommand({ name, options: options as never, ...extra });
  return { interaction: i, text: await h.discord.waitFor(() => ephemeralText(h, i), 10_000) };
};
const settings = (h: Harness, sub: string, options: Array<Record<string, unknown>> = [], user?: FakeUser) =>
  command(h, "settings", [{ name: sub, type: 1, options }], { user: user ?? h.discord.users.admin });

describe("their own language", () => {
  for (const [locale, name] of [["es-ES", "Spanish"], ["ja", "Japanese"]] as const) {
    it(`a /video in a ${name} server by a ${name} member reads ${name}: the progress, the result, the refusals`, async () => {
      h = await startHarness({ env: { DEFAULT_QUOTA_USD: "2" } });
      const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9", locale, guildLocale: locale });
      const progress = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === i.id && m.text.includes(t(locale, "progress.estimate", { cost: money(locale, 1_524_600, "up") }))), 10_000);
      expect(progress.text).toContain(t(locale, "progress.header", { userId: h.discord.users.requester.id }));
      expect(t(locale, "progress.header", { userId: "1" })).not.toBe(t("en-US", "progress.header", { userId: "1" }));
      await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === i.id && m.text.includes(t(locale, "progress.done", { link: "" }).trim())), 15_000);
      const result = videoMessages(h)[0]!;
      expect(result.text).toContain(t(locale, "result.ready", { userId: h.discord.users.requester.id }));
      expect(result.text).toContain(t(locale, "result.cost", { cost: money(locale, 1_524_600, "up") }));
      expect(buttonOf(result, "regen").label).toBe(t(locale, "buttons.regenerate"));
      // the budget refuses the next one, privately, in the member's language
      const refused = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9", locale, guildLocale: locale });
      expect(await h.discord.waitFor(() => ephemeralText(h, refused))).toContain(money(locale, 1_524_600, "up"));
      expect(ephemeralText(h, refused)).not.toMatch(/would cost/);
    });
  }

  it("what only the caller sees follows the caller's language; what the channel sees, the server's", async () => {
    h = await startHarness();
    const i = await runVideo(h, { prompt: "", locale: "fr", guildLocale: "es-ES" }).catch(() => undefined);
    void i;
    const ask = await runVideo(h, { duration: 4, resolution: "480p", locale: "fr", guildLocale: "es-ES" });
    const progress = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === ask.id && m.text.includes(t("es-ES", "progress.header", { userId: h.discord.users.requester.id }))), 10_000);
    expect(progress).toBeDefined();
    const quota = await command(h, "quota", [{ name: "show", type: 1, options: [] }], { locale: "de" });
    expect(quota.text).toContain(t("de", "quota.resets", { when: "" }).trim());
    const unknown = await command(h, "quota", [{ name: "show", type: 1, options: [] }], { locale: "ko" });
    expect(unknown.text).toContain("Resets"); // a language the bot does not speak: English
  });

  it("registers its commands with descriptions and choice names in every language it speaks", async () => {
    h = await startHarness();
    const video = (await h.discord.waitFor(() => h.discord.commands().find((c: any) => c.name === "video"))) as any;
    for (const locale of ["es-ES", "pt-BR", "fr", "de", "ja"]) {
      expect(video.description_localizations[locale]).toBe(t(locale, "commands.video.description"));
      expect(video.options[0].description_localizations[locale]).toBe(t(locale, "commands.video.image"));
      expect(video.options.find((o: any) => o.name === "aspect_ratio").choices[0].name_localizations[locale]).toBe(t(locale, "commands.video.auto"));
    }
  });
});

describe("/help", () => {
  it("shows the price per second at each resolution from the pricing table, the member's budget, and the commands", async () => {
    h = await startHarness();
    const { text } = await command(h, "help");
    const tier = tierOf("bytedance/seedance-2.0/image-to-video");
    for (const resolution of tier.resolutions) {
      const frame = FRAME_SIZES[resolution]["16:9"];
      expect(text).toContain(`${resolution}: ${fineMoney("en-US", perSecondMicros(tier, frame))} per second (a 5 s video: ${money("en-US", costMicros(tier, frame, 5), "up")})`);
    }
    expect(text).toContain("$0.3024 per second"); // 720p
    expect(text).toMatch(/\$5\.00 left of \$5\.00 for today, resets <t:\d+:R>/);
    for (const cmd of ["/video", "/history", "/quota show", "/settings", "/help"]) expect(text).toContain(cmd);
  });
});

describe("/history", () => {
  it("lists a member's jobs newest first with what they cost and a link to each result, 10 a page, with buttons for the caller only", async () => {
    h = await startHarness({ env: { MAX_JOBS_PER_USER: "5" } });
    const { repo } = h.bot.services;
    // nine older jobs from before (records as the bot keeps them), then three real ones
    for (let n = 0; n < 9; n++) {
      const at = Date.now() - (20 - n) * 86_400_000;
      const old = { id: randomUUID(), state: "failed", createdAt: at, updatedAt: at, guildId: h.discord.guildId, channelId: h.discord.channelId, userId: h.discord.users.requester.id, progressMessageId: null, sourceUrls: null, params: { prompt: `old take ${n}`, imageUrl: "https://x/y.png", duration: "5", resolution: "720p", aspectRatio: "16:9", audio: true }, estimate: { micros: 1_512_000, upTo: false, seconds: 5, frame: { width: 1280, height: 720 } }, reservation: null, uploadLimitBytes: 0, falRequestId: null, queuePosition: null, runningSince: null, lastLog: null, videoUrl: null, resultMessageId: null, resultSeed: null, error: null, parentJobId: null } as Job;
      await writeJob(h.bot.services.store, repo, old);
    }
    for (const prompt of ["first [fake](https://x.invalid)", "second", "third"]) await deliveredVideo(h, { prompt });
    const list = await command(h, "history");
    const lines = list.text.split("\n").filter((l) => l.startsWith("•"));
    expect(list.text).toMatch(/page 1 of 2/);
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/delivered · \$1\.53 · "third" · \[video\]\(https:\/\/discord\.com\/channels\/\d+\/\d+\/\d+\)/);
    // the prompt, inert: shown as typed, and Discord renders no link from it (only the bot's own [video] link)
    expect(renderDiscordMarkdown(lines[2]!).visible).toContain('"first [fake](https://x.invalid)"');
    expect(renderDiscordMarkdown(lines[2]!).links.map((l) => l.text)).toEqual(["video"]);
    expect(lines[3]).toMatch(/failed · \$0\.00 · "old take 8"/);
    const message = h.discord.messages().find((m) => m.interactionId === list.interaction.id)!;
    const older = (message.components[0] as any).components[1];
    // another member's click on the caller's buttons does nothing but say so
    const stranger = await h.discord.clickButton({ messageId: message.id, customId: older.custom_id, user: h.discord.users.stranger, unchecked: false }).catch((e: Error) => e);
    expect(stranger).toBeInstanceOf(Error); // an ephemeral list: only its caller can even see it
    // a tampered button (another caller's, or another member's list) is refused and the page stays
    const [, , , callerId] = older.custom_id.split(":");
    const admin = h.discord.users.admin.id;
    const forged = (customId: string) => h.discord.clickButton({ messageId: message.id, customId, user: h.discord.users.requester, unchecked: true });
    const otherCaller = await forged(`history:${callerId}:2:${admin}`);
    expect(await h.discord.waitFor(() => ephemeralText(h, otherCaller))).toMatch(/These buttons belong to <@\d+>/);
    const otherList = await forged(`history:${admin}:1:${callerId}`);
    expect(await h.discord.waitFor(() => ephemeralText(h, otherList))).toMatch(/only admins/);
    expect(h.discord.message(message.id)!.text).toMatch(/page 1 of 2/);
    await h.discord.clickButton({ messageId: message.id, customId: older.custom_id, user: h.discord.users.requester });
    await h.discord.waitFor(() => h.discord.message(message.id)!.text.includes("page 2 of 2"), 5_000);
    expect(h.discord.message(message.id)!.text.split("\n").filter((l) => l.startsWith("•"))).toHaveLength(2);
    // admins may look at another member's; others may not
    expect((await command(h, "history", [{ name: "user", type: 6, value: h.discord.users.requester.id }], { user: h.discord.users.stranger })).text).toMatch(/only admins/);
    expect((await command(h, "history", [{ name: "user", type: 6, value: h.discord.users.requester.id }], { user: h.discord.users.admin })).text).toMatch(/page 1 of 2/);
  });
});

describe("/settings", () => {
  it("a member without Manage Server cannot use it; it is registered for Manage Server", async () => {
    h = await startHarness();
    expect((await settings(h, "show", [], h.discord.users.stranger)).text).toMatch(/Only members with the Manage Server permission/);
    const registered = h.discord.commands().find((c: any) => c.name === "settings") as any;
    expect(registered.default_member_permissions).toBe("32");
  });

  it("a /video outside the allowed channels is refused, naming them, before anything is downloaded", async () => {
    h = await startHarness();
    const elsewhere = "849074777489543999";
    expect((await settings(h, "channels", [{ name: "action", type: 3, value: "allow" }, { name: "channel", type: 7, value: elsewhere }])).text).toContain(`<#${elsewhere}>`);
    expect((await settings(h, "show")).text).toContain(`Channels for videos: <#${elsewhere}>`);
    const refused = await runVideo(h);
    expect(await h.discord.waitFor(() => ephemeralText(h, refused))).toMatch(new RegExp(`Videos are made in <#${elsewhere}> only on this server`));
    expect(downloads(h)).toEqual([]);
    expect(h.fal.requests).toEqual([]);
    expect(h.logs()).toMatch(/"by":"\d+".*"msg":"server settings changed"/);
    await settings(h, "channels", [{ name: "action", type: 3, value: "clear" }]);
    const ok = await runVideo(h, { duration: 4, resolution: "480p" });
    await doneMessage(h, ok.id);
  });

  it("a Regenerate after the server narrowed its channels or limits is refused, naming them, and nothing is held", async () => {
    h = await startHarness();
    const { result, regenerate } = await deliveredVideo(h);
    const elsewhere = "849074777489543999";
    await settings(h, "channels", [{ name: "action", type: 3, value: "allow" }, { name: "channel", type: 7, value: elsewhere }]);
    const press = () => h.discord.clickButton({ messageId: result.id, customId: regenerate.custom_id, user: h.discord.users.requester });
    const first = await press();
    expect(await h.discord.waitFor(() => ephemeralText(h, first))).toMatch(new RegExp(`Videos are made in <#${elsewhere}> only on this server`));
    await settings(h, "channels", [{ name: "action", type: 3, value: "clear" }]);
    await settings(h, "limits", [{ name: "max_duration", type: 4, value: 4 }]);
    const second = await press();
    expect(await h.discord.waitFor(() => ephemeralText(h, second))).toMatch(/allows videos up to 4 seconds; you asked for 5/);
    expect(h.fal.submissions).toHaveLength(1);
    expect(await quotaText(h)).toMatch(/held for running jobs \$0\.00 · jobs in progress 0/);
  });

  it("limits refuse a 1080p or a 15 s request with the limit named, an auto length is asked and held at the longest, and sound defaults as set", async () => {
    h = await startHarness();
    expect((await settings(h, "limits", [{ name: "max_resolution", type: 3, value: "720p" }, { name: "max_duration", type: 4, value: 8 }, { name: "audio_default", type: 5, value: false }])).text).toMatch(/Saved/);
    const big = await runVideo(h, { resolution: "1080p" });
    expect(await h.discord.waitFor(() => ephemeralText(h, big))).toMatch(/allows videos up to 720p; you asked for 1080p/);
    const long = await runVideo(h, { duration: 15 });
    expect(await h.discord.waitFor(() => ephemeralText(h, long))).toMatch(/allows videos up to 8 seconds; you asked for 15/);
    expect(h.fal.requests).toEqual([]);
    const auto = await runVideo(h, { resolution: "720p", aspect_ratio: "16:9" });
    const progress = await h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === auto.id && m.text.includes("Estimated cost")), 10_000);
    expect(progress.text).toContain("Estimated cost: $2.44"); // 8 s at 720p 16:9 (193 frames), not 15 s
    await h.fal.waitFor(() => h.fal.submissions.length === 1);
    expect(h.fal.submissions[0]!.input).toMatchObject({ duration: "8", generate_audio: false });

    // reset: the defaults again, and a 15 s request with sound goes through
    expect((await settings(h, "reset")).text).toMatch(/back to the defaults/);
    const shown = (await settings(h, "show")).text;
    expect(shown).toContain("Channels for videos: any channel");
    expect(shown).toContain("Largest resolution: no limit");
    expect(shown).toContain("Sound by default: yes");
    expect(h.logs()).toMatch(/"msg":"server settings changed"/);
    await runVideo(h, { resolution: "480p", duration: 15 }); // within the member's $5 budget, unlike 1080p
    await h.fal.waitFor(() => h.fal.submissions.length === 2);
    expect(h.fal.submissions[1]!.input).toMatchObject({ duration: "15", resolution: "480p" });
    expect(h.fal.submissions[1]!.input).not.toHaveProperty("generate_audio", false);
  });
});

describe("confirm before spending", () => {
  it("above the server's threshold the caller is asked first; nothing is fetched, held or shown publicly until Generate", async () => {
    h = await startHarness({ env: { DEFAULT_QUOTA_USD: "4" } });
    await settings(h, "limits", [{ name: "confirm_above_usd", type: 10, value: 1 }]);
    const asked = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    expect(await h.discord.waitFor(() => ephemeralText(h, asked))).toMatch(/This video will cost up to \$1\.53\. Generate it\?/);
    await new Promise((r) => setTimeout(r, 300));
    expect(downloads(h)).toEqual([]);
    expect(h.discord.messages().filter((m) => !(m.flags & 64) && m.interactionId === asked.id)).toEqual([]);
    expect(await quotaText(h)).toMatch(/held for running jobs \$0\.00 · jobs in progress 0/);
    const question = h.discord.messages().find((m) => m.interactionId === asked.id)!;
    const generate = (question.components[0] as any).components[0];
    await h.discord.clickButton({ messageId: question.id, customId: generate.custom_id, user: h.discord.users.requester });
    await h.discord.waitFor(() => videoMessages(h).length === 1, 15_000);
    const publicProgress = await h.discord.waitFor(() => h.discord.messages().find((m) => !(m.flags & 64) && m.text.includes("✅ Done")), 5_000);
    expect(publicProgress).toBeDefined();
    expect(await quotaText(h)).toMatch(/Spent \$1\.53/);
  });

  for (const locale of ["de", "ja", "pt-BR"]) {
    it(`the question and its buttons are in the caller's language (${locale}), and so are its answers`, async () => {
      h = await startHarness();
      await settings(h, "limits", [{ name: "confirm_above_usd", type: 10, value: 1 }]);
      const asked = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9", locale });
      expect(await h.discord.waitFor(() => ephemeralText(h, asked))).toBe(t(locale, "confirm.ask", { cost: money(locale, 1_524_600, "up") }));
      const question = h.discord.messages().find((m) => m.interactionId === asked.id)!;
      const [generate, cancel] = (question.components[0] as any).components;
      expect([generate.label, cancel.label]).toEqual([t(locale, "buttons.generate"), t(locale, "buttons.cancel")]);
      expect(t(locale, "confirm.ask", { cost: "x" })).not.toBe(t("en-US", "confirm.ask", { cost: "x" }));
      await h.discord.clickButton({ messageId: question.id, customId: cancel.custom_id, user: h.discord.users.requester, locale });
      await h.discord.waitFor(() => h.discord.message(question.id)!.text === t(locale, "confirm.cancelled"), 5_000);
    });
  }

  it("Cancel, or no answer in time, ends it with nothing charged", async () => {
    h = await startHarness({ env: { CONFIRM_SECONDS: "5" } });
    await settings(h, "limits", [{ name: "confirm_above_usd", type: 10, value: 1 }]);
    const first = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.discord.waitFor(() => ephemeralText(h, first));
    const question = h.discord.messages().find((m) => m.interactionId === first.id)!;
    const cancel = (question.components[0] as any).components[1];
    await h.discord.clickButton({ messageId: question.id, customId: cancel.custom_id, user: h.discord.users.requester });
    await h.discord.waitFor(() => h.discord.message(question.id)!.text.includes("Cancelled. Nothing was charged."), 5_000);
    const second = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.discord.waitFor(() => ephemeralText(h, second));
    const silent = h.discord.messages().find((m) => m.interactionId === second.id)!;
    await h.discord.waitFor(() => h.discord.message(silent.id)!.text.includes("No answer in time, so nothing was made"), 10_000);
    expect(h.discord.message(silent.id)!.components).toEqual([]);
    expect(downloads(h)).toEqual([]);
    expect(h.fal.requests).toEqual([]);
    expect(await quotaText(h)).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
    void answersTo;
  });
});
