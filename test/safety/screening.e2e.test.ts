import { afterEach, describe, expect, it } from "vitest";
import { makePng } from "../support/picture.js";
import { buttonOf, deliveredVideo, doneMessage, ephemeralText, PICTURE, PNG, runVideo, startHarness, type Harness } from "../support/harness.js";
import { animatePicture, cdnFetches, linesIn, moneyOf, openModlog, settingsReply } from "./support.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A picture the fake classifier scores high (another colour: other bytes). */
const FLAGGED = makePng(PICTURE.width, PICTURE.height, [200, 40, 60]);
const CHECK_MICROS = 1_000; // SAFETY_CHECK_USD's default, $0.001

const FLAGGED_TEXT = /^This picture cannot be animated in this channel: the picture check found it may not be safe for work\. Nothing was charged\.$/;

async function screened(env: Record<string, string> = {}): Promise<Harness> {
  const harness = await startHarness({ env: { SAFETY_IMAGE_CHECK: "fal", ...env } });
  harness.fal.setNsfwProbability(FLAGGED, 0.93);
  return harness;
}

const operatorBilled = async (h: Harness) => (await h.bot.services.budget.operatorBooks()).total.billedMicros;

describe("the picture check (SAFETY_IMAGE_CHECK=fal)", () => {
  it("refuses a flagged picture privately before the hold: nothing downloaded by the bot, held or sent to the model; the check is on the operator's books", async () => {
    h = await screened();
    const { discord, fal } = h;
    const modlog = await openModlog(h);
    const image = discord.addAttachment(FLAGGED, "photo.png", "image/png", PICTURE);
    const refused = await runVideo(h, { image, prompt: "the dancer spins" });
    expect(await discord.waitFor(() => ephemeralText(h!, refused), 10_000)).toMatch(FLAGGED_TEXT);
    expect(fal.nsfwChecks.map((c) => [c.imageUrl, c.probability])).toEqual([[image.url, 0.93]]);
    expect(cdnFetches(h)).toBe(1); // fal's fetch for its check, and no other
    expect(fal.submissions).toHaveLength(0);
    expect(fal.uploads).toHaveLength(0);
    expect(await moneyOf(h)).toEqual({ held: 0, spent: 0 });
    expect(await operatorBilled(h)).toBe(CHECK_MICROS);
    expect(discord.channelMessages(discord.channelId).filter((m) => !m.deleted)).toHaveLength(0);
    const line = await discord.waitFor(() => linesIn(h!, modlog).find((l) => l.startsWith("🚫")), 10_000);
    expect(line).toMatch(/the picture check scored the picture 0\.93 \(above 0\.50\) outside an age-restricted channel\n> the dancer spins$/);
    expect(discord.rejections).toEqual([]);
  });

  it("lets a clear picture through, and a take reuses its video's check", async () => {
    h = await screened();
    const { discord, fal } = h;
    const { result } = await deliveredVideo(h);
    expect(fal.nsfwChecks).toHaveLength(1);
    expect(fal.submissions).toHaveLength(1);
    await discord.clickButton({ messageId: result.id, customId: buttonOf(result, "regen").custom_id, user: discord.users.requester });
    await fal.waitFor(() => fal.submissions.length === 2, 10_000);
    expect(fal.nsfwChecks).toHaveLength(1);
    expect(await operatorBilled(h)).toBeGreaterThan(CHECK_MICROS);
  });

  it("checks a take whose video was never checked (made before the check was on), at its fal copy", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result } = await deliveredVideo(h, { image: discord.addAttachment(FLAGGED, "photo.png", "image/png", PICTURE) });
    h.env.SAFETY_IMAGE_CHECK = "fal";
    const restarted = await h.restart();
    fal.setNsfwProbability(FLAGGED, 0.93);
    const press = await discord.clickButton({ messageId: result.id, customId: buttonOf(result, "regen").custom_id, user: discord.users.requester });
    expect(await discord.waitFor(() => ephemeralText(h!, press), 10_000)).toMatch(FLAGGED_TEXT);
    expect(fal.nsfwChecks.map((c) => [c.imageUrl, c.probability])).toEqual([[fal.submissions[0]!.input.image_url, 0.93]]);
    expect(fal.submissions).toHaveLength(1);
    expect((await restarted.services.budget.status(discord.guildId, discord.users.requester.id)).reservedMicros).toBe(0);
  });

  it("checks the end frame too", async () => {
    h = await screened();
    const { discord, fal } = h;
    const end = discord.addAttachment(FLAGGED, "end.png", "image/png", PICTURE);
    const refused = await runVideo(h, { end_image: end });
    expect(await discord.waitFor(() => ephemeralText(h!, refused), 10_000)).toMatch(FLAGGED_TEXT);
    expect(fal.nsfwChecks.map((c) => c.probability)).toEqual([0.01, 0.93]);
    expect(fal.submissions).toHaveLength(0);
    expect(await moneyOf(h)).toEqual({ held: 0, spent: 0 });
  });

  it("checks Animate's picture", async () => {
    h = await screened();
    const { discord, fal } = h;
    const submit = await animatePicture(h, FLAGGED, "it moves");
    expect(await discord.waitFor(() => ephemeralText(h!, submit), 10_000)).toMatch(FLAGGED_TEXT);
    expect(fal.nsfwChecks).toHaveLength(1);
    expect(fal.submissions).toHaveLength(0);
    expect(await moneyOf(h)).toEqual({ held: 0, spent: 0 });
  });

  it("lets a flagged picture through in an age-restricted channel, without checking it", async () => {
    h = await screened();
    const { discord, fal } = h;
    const restricted = await discord.addChannel({ name: "after-dark", nsfw: true });
    const image = discord.addAttachment(FLAGGED, "photo.png", "image/png", PICTURE);
    const interaction = await runVideo(h, { image, channelId: restricted, duration: 4, resolution: "480p" });
    await doneMessage(h, interaction.id);
    expect(fal.nsfwChecks).toHaveLength(0);
    expect(fal.submissions).toHaveLength(1);
    // the flag is read when asked: the same channel marked safe for work checks (and refuses) again
    discord.setChannelNsfw(restricted, false);
    await discord.waitFor(() => (h!.bot.services.client.channels.cache.get(restricted) as { nsfw?: boolean } | undefined)?.nsfw === false || undefined, 5_000);
    const again = await runVideo(h, { image: discord.addAttachment(FLAGGED, "photo.png", "image/png", PICTURE), channelId: restricted });
    expect(await discord.waitFor(() => ephemeralText(h!, again), 10_000)).toMatch(FLAGGED_TEXT);
    expect(fal.nsfwChecks).toHaveLength(1);
  });

  it("refuses, politely and with nothing held, when the check does not answer; never lets the picture through", async () => {
    h = await screened();
    const { discord, fal } = h;
    // a gateway error hides whether fal ran the check: fal-js tries 4 times, and each may have been billed
    fal.failNext({ target: /imageutils\/nsfw/ }, { status: 502, body: { detail: "Bad Gateway" } }, 4);
    const refused = await runVideo(h, { image: discord.addAttachment(PNG, "cat.png", "image/png", PICTURE) });
    const unavailable = /^The picture check is not answering right now, so the bot cannot start this video\. Please try again in a few minutes; nothing was charged\.$/;
    expect(await discord.waitFor(() => ephemeralText(h!, refused), 20_000)).toMatch(unavailable);
    expect(fal.submissions).toHaveLength(0);
    expect(cdnFetches(h)).toBe(0);
    expect(await moneyOf(h)).toEqual({ held: 0, spent: 0 });
    expect(await operatorBilled(h)).toBe(4 * CHECK_MICROS);
    // fal overloaded (503) ran nothing: refused the same, booked nothing more
    fal.failNext({ target: /imageutils\/nsfw/ }, { status: 503, body: { detail: "Service Unavailable" } }, 4);
    const again = await runVideo(h, { image: discord.addAttachment(PNG, "cat.png", "image/png", PICTURE) });
    expect(await discord.waitFor(() => ephemeralText(h!, again), 20_000)).toMatch(unavailable);
    expect(await operatorBilled(h)).toBe(4 * CHECK_MICROS);
    expect(fal.submissions).toHaveLength(0);
  });

  it("/settings safety says whether the check is on", async () => {
    h = await screened({ SAFETY_NSFW_THRESHOLD: "0.7" });
    expect(await settingsReply(h, "safety")).toMatch(/Picture check: on \(fal's NSFW check; pictures above 0\.70 are refused outside age-restricted channels\)/);
    await h.close();
    h = await startHarness();
    expect(await settingsReply(h, "safety")).toMatch(/Picture check: off/);
  });
});
