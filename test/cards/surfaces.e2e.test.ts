import { writeJob } from "../support/records.js";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_BOT_PERMISSIONS, P } from "../fakes/discord/index.js";
import { makePng } from "../support/picture.js";
import { bodyText, buttonOf, buttonsOf, deliveredVideo, doneMessage, ephemeralText, PICTURE, PNG, quotaText, runVideo, startHarness, videoMessages, type Harness } from "../support/harness.js";

let h: Harness;
afterEach(async () => h?.close());

const V2 = 1 << 15;
const fetchBytes = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

/** A member's own message in the channel with picture files (and linked pictures) on it. */
function postPictures(h: Harness, files: Buffer[], linked: Buffer[] = [], user = h.discord.users.requester) {
  const attachments = files.map((bytes, n) => h.discord.addAttachment(bytes, `photo-${n}.png`, "image/png", PICTURE));
  return h.discord.userMessage({ content: files.length || linked.length ? "" : "no picture here", attachments, embeds: linked.map((bytes) => ({ bytes, contentType: "image/png", ...PICTURE })), user });
}

/** Opens Animate on a message and returns the interaction and the modal it showed. */
async function animate(h: Harness, messageId: string, user = h.discord.users.requester) {
  const use = await h.discord.messageCommand({ name: "Animate", messageId, user });
  const modal = await h.discord.waitFor(() => h.discord.modalOf(use.id) ?? ephemeralText(h, use), 5_000);
  return { use, modal: modal as any };
}

/** An admin's `/settings limits`, answered before the test goes on. */
async function setLimits(h: Harness, limits: Array<Record<string, unknown>>) {
  const set = await h.discord.slashCommand({ name: "settings", user: h.discord.users.admin, options: [{ name: "limits", type: 1, options: limits }] as never });
  expect(await h.discord.waitFor(() => ephemeralText(h, set))).toMatch(/Saved/);
}

/** The top-level components of a modal, by the custom id of the input each holds. */
const inputsOf = (modal: any): Record<string, any> => Object.fromEntries(modal.components.map((l: any) => [l.component.custom_id, l.component]));

describe("messages that show", () => {
  it("the progress card carries the picture beside the prompt; the result card carries the video inline, its facts first, and its buttons", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { interaction, result } = await deliveredVideo(h, { prompt: "the cat surfs a wave" });

    const progress = discord.messages().find((m) => m.interactionId === interaction.id)!;
    expect(progress.flags & V2).toBe(V2);
    expect(progress.content).toBe("");
    expect(progress.text.split("\n")[0]).toBe(`🎬 Video for <@${discord.users.requester.id}>`);
    expect(progress.text.split("\n")[1]).toMatch(/✅ Done/); // the first lines say what happened
    expect(progress.text).toContain("> the cat surfs a wave");
    expect(progress.media).toHaveLength(1);
    expect((await fetchBytes(progress.media[0]!)).equals(PNG)).toBe(true); // the member's own picture
    // every progress edit was a card with the picture
    const edits = discord.requests.filter((r) => r.method === "PATCH" && r.path.includes(interaction.token) && r.status === 200);
    expect(edits.length).toBeGreaterThan(1);
    for (const e of edits) expect((e.json as any).flags & V2).toBe(V2);

    expect(result.flags & V2).toBe(V2);
    expect(result.content).toBe("");
    expect(result.text.split("\n")[0]).toBe(`🎬 <@${discord.users.requester.id}>, your video is ready!`);
    expect(result.text).toMatch(/seed \d+ · 5 s · 720p · 16:9 · cost \$1\.53/);
    expect(result.attachments).toHaveLength(1);
    expect(result.media).toHaveLength(1); // the MP4, in a media gallery
    expect((await fetchBytes(result.attachments[0]!.url)).equals([...fal.jobs.values()][0]!.video!)).toBe(true);
    expect(buttonsOf(result).map((b) => b.custom_id.split(":")[0])).toEqual(["regen", "loop", "remix", "report"]);
    expect(discord.rejections).toEqual([]);
  });

  it("a video that cannot be uploaded (no Attach Files any more) is linked from the card instead", async () => {
    h = await startHarness({ fal: { timeline: { queuePositions: [1, 0], stepMs: 300, runMs: 300 } } });
    const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await h.fal.waitFor(() => h.fal.submissions.length === 1, 10_000);
    h.discord.setBotPermissions(DEFAULT_BOT_PERMISSIONS & ~P.ATTACH_FILES);
    await doneMessage(h, interaction.id);
    const result = h.discord.messages().find((m) => m.text.includes("your video is ready"))!;
    expect(result.attachments).toEqual([]);
    expect(result.text).toContain([...h.fal.jobs.values()][0]!.videoUrl);
    expect(result.flags & V2).toBe(V2);
    // the upload was refused for want of Attach Files, as Discord refuses it; nothing else was
    expect(h.discord.rejections.map((r) => [r.status, r.code])).toEqual([[403, 50013]]);
  });
});

describe("Animate from any message", () => {
  it("opens a form on a message with a picture; its submit runs the job on that picture, replying to the message", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const registered = discord.commands().find((c: any) => c.name === "Animate") as any;
    expect(registered).toMatchObject({ type: 3, name_localizations: { "es-ES": "Animar", ja: "アニメーション化" } });
    const picture = makePng(800, 600);
    const source = postPictures(h, [picture]);
    const { use, modal } = await animate(h, source.id);
    expect(modal.title).toBe("Animate this picture");
    const inputs = inputsOf(modal);
    expect(Object.keys(inputs)).toEqual(["prompt", "duration", "resolution", "aspect_ratio", "audio"]);
    expect(inputs.prompt).toMatchObject({ type: 4, style: 2, required: true });
    expect(fal.requests).toEqual([]); // nothing fetched or sent before the form is sent

    const submit = await discord.submitModal({ interactionId: use.id, values: { prompt: "the dog runs", duration: ["5"], resolution: ["480p"], aspect_ratio: ["4:3"], audio: ["off"] } });
    await fal.waitFor(() => fal.submissions.length === 1, 10_000);
    expect(fal.submissions[0]!.input).toMatchObject({ prompt: "the dog runs", duration: "5", resolution: "480p", aspect_ratio: "4:3", generate_audio: false });
    expect(fal.submissions[0]!.input.end_image_url).toBeUndefined();
    expect(fal.uploads[0]!.bytes.equals(picture)).toBe(true);
    // the caller is told privately where it is; the public progress replies to the source message
    const told = () => discord.requests.find((r) => r.method === "PATCH" && r.path.includes(submit.token) && r.status === 200);
    expect(bodyText((await discord.waitFor(told, 10_000)).json)).toMatch(/Your video is on its way: https:\/\/discord\.com\/channels\//);
    const progress = await discord.waitFor(() => discord.messages().find((m) => m.message_reference?.message_id === source.id && m.text.includes("✅ Done")), 15_000);
    expect(progress.text).toContain("> the dog runs");
    expect(videoMessages(h)).toHaveLength(1);
    expect(discord.rejections).toEqual([]);
  });

  it("a form sent the moment it appears, before its record reached the store, still runs (the submit waits for the write)", async () => {
    h = await startHarness();
    const { discord, fal, bot } = h;
    const { store } = bot.services;
    const set = store.set.bind(store);
    // a slow store: the form's record lands 400 ms after the form is shown
    (store as { set: typeof store.set }).set = async (key, value, ttl) => {
      if (key.startsWith("animate:")) await new Promise((r) => setTimeout(r, 400));
      return set(key, value, ttl);
    };
    const use = await discord.messageCommand({ name: "Animate", messageId: postPictures(h, [PNG]).id, user: discord.users.requester });
    await discord.waitFor(() => discord.modalOf(use.id), 5_000);
    const submit = await discord.submitModal({ interactionId: use.id, values: { prompt: "at once", duration: ["4"] } });
    await fal.waitFor(() => fal.submissions.length === 1, 10_000);
    expect(ephemeralText(h, submit) ?? "").not.toMatch(/expired/);
  });

  it("with two pictures the second is the end frame; a linked picture is read through Discord's proxy", async () => {
    h = await startHarness({ env: { MAX_JOBS_PER_USER: "2" } });
    const { discord, fal } = h;
    const end = makePng(600, 450);
    const { use, modal } = await animate(h, postPictures(h, [PNG, end]).id);
    expect(modal.components[0].description).toBe("What should happen; the first picture starts the video, the second ends it");
    await discord.submitModal({ interactionId: use.id, values: { prompt: "from day to night", duration: ["4"], resolution: ["480p"] } });
    await fal.waitFor(() => fal.submissions.length === 1, 10_000);
    expect(fal.submissions[0]!.input.end_image_url).toEqual(expect.any(String));
    expect(fal.uploads.map((u) => u.bytes.equals(end))).toEqual([false, true]);

    const linked = makePng(700, 500);
    const second = await animate(h, postPictures(h, [], [linked]).id);
    await discord.submitModal({ interactionId: second.use.id, values: { prompt: "the linked one moves", duration: ["4"], resolution: ["480p"] } });
    await fal.waitFor(() => fal.submissions.length === 2, 10_000);
    expect(fal.uploads.at(-1)!.bytes.equals(linked)).toBe(true);
  });

  it("a form sent after a restart still finds its pictures (they are kept in the store)", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { use } = await animate(h, postPictures(h, [PNG]).id);
    await h.restart();
    await discord.submitModal({ interactionId: use.id, values: { prompt: "after the restart", duration: ["4"] } });
    await fal.waitFor(() => fal.submissions.length === 1, 10_000);
    expect(fal.submissions[0]!.input.prompt).toBe("after the restart");
    expect(fal.uploads[0]!.bytes.equals(PNG)).toBe(true);
  });

  it("where the bot may not post, the form is refused before anything is held (no webhook could stand in for a reply)", async () => {
    h = await startHarness({ env: { JOB_TIMEOUT_MINUTES: "10" } });
    const { discord, fal } = h;
    const { use } = await animate(h, postPictures(h, [PNG]).id);
    discord.setBotPermissions(DEFAULT_BOT_PERMISSIONS & ~P.SEND_MESSAGES);
    const submit = await discord.submitModal({ interactionId: use.id, values: { prompt: "nowhere to go", duration: ["4"] } });
    expect(await discord.waitFor(() => ephemeralText(h, submit))).toMatch(/missing these permissions here: Send Messages\. .*Nothing was charged/);
    expect(fal.requests).toEqual([]);
  });

  it("a server may allow Animate on members' own pictures only, or turn it off", async () => {
    h = await startHarness();
    const { discord } = h;
    await setLimits(h, [{ name: "animate", type: 3, value: "own" }]);
    const theirs = await animate(h, postPictures(h, [PNG], [], discord.users.stranger).id);
    expect(theirs.modal).toMatch(/only pictures you posted yourself/);
    const mine = await animate(h, postPictures(h, [PNG]).id);
    expect(mine.modal.title).toBe("Animate this picture");
    await setLimits(h, [{ name: "animate", type: 3, value: "off" }]);
    expect((await animate(h, postPictures(h, [PNG]).id)).modal).toMatch(/turned off on this server/);
    expect(h.fal.requests).toEqual([]);
  });

  it("the server's setting is checked again when the form is sent: a form opened before the admin changed it does not go through", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const theirs = await animate(h, postPictures(h, [PNG], [], discord.users.stranger).id); // "anyone" while it opens
    const mine = await animate(h, postPictures(h, [PNG]).id);
    await setLimits(h, [{ name: "animate", type: 3, value: "own" }]);
    const sentTheirs = await discord.submitModal({ interactionId: theirs.use.id, values: { prompt: "someone else's photo", duration: ["4"] } });
    expect(await discord.waitFor(() => ephemeralText(h, sentTheirs))).toMatch(/only pictures you posted yourself/);
    await setLimits(h, [{ name: "animate", type: 3, value: "off" }]);
    const sentMine = await discord.submitModal({ interactionId: mine.use.id, values: { prompt: "my own photo", duration: ["4"] } });
    expect(await discord.waitFor(() => ephemeralText(h, sentMine))).toMatch(/turned off on this server/);
    await new Promise((r) => setTimeout(r, 300));
    expect(fal.requests).toEqual([]);
    expect(await quotaText(h)).toMatch(/Spent \$0\.00 · held for running jobs \$0\.00 · jobs in progress 0/);
  });

  it("on a message without a picture: a polite private explanation, no form, nothing charged", async () => {
    h = await startHarness();
    const { modal } = await animate(h, postPictures(h, []).id);
    expect(modal).toMatch(/no picture to animate/);
    expect(h.fal.requests).toEqual([]);
  });

  it("the form offers only what the server allows, pre-filled with its longest length", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const limits = [{ name: "max_resolution", type: 3, value: "720p" }, { name: "max_duration", type: 4, value: 8 }];
    await setLimits(h, limits);
    const { use, modal } = await animate(h, postPictures(h, [PNG]).id);
    const inputs = inputsOf(modal);
    expect(inputs.resolution.options.map((o: any) => o.value)).toEqual(["480p", "720p"]);
    expect(inputs.duration.options.map((o: any) => o.value)).toEqual(["4", "5", "6", "7", "8"]); // no auto: it would be asked at 8
    expect(inputs.duration.options.find((o: any) => o.default).value).toBe("8");
    await discord.submitModal({ interactionId: use.id, values: { prompt: "within the limits" } });
    await fal.waitFor(() => fal.submissions.length === 1, 10_000);
    expect(fal.submissions[0]!.input).toMatchObject({ duration: "8", resolution: "720p" });
  });

  it("a GIF or a picture of the wrong shape is left out: the next usable picture is animated, and no end frame is made of it", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const gif = discord.addAttachment(Buffer.from("GIF89a"), "moving.gif", "image/gif", { width: 640, height: 480 });
    const strip = discord.addAttachment(makePng(3000, 300), "strip.png", "image/png", { width: 3000, height: 300 });
    const photo = makePng(720, 540);
    const good = discord.addAttachment(photo, "photo.png", "image/png", { width: 720, height: 540 });
    const source = discord.userMessage({ content: "", attachments: [gif, strip, good] });
    const { use, modal } = await animate(h, source.id);
    expect(modal.components[0].description).not.toMatch(/second/);
    await discord.submitModal({ interactionId: use.id, values: { prompt: "only the photo", duration: ["4"] } });
    await fal.waitFor(() => fal.submissions.length === 1, 10_000);
    expect(fal.uploads.map((u) => u.bytes.equals(photo))).toEqual([true]);
    expect(fal.submissions[0]!.input.end_image_url).toBeUndefined();
  });
});

describe("Animate above the server's threshold", () => {
  it("asks first; Generate starts it and the progress still replies to the source message", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    await setLimits(h, [{ name: "confirm_above_usd", type: 10, value: 1 }]);
    const source = postPictures(h, [PNG]);
    const { use } = await animate(h, source.id);
    const submit = await discord.submitModal({ interactionId: use.id, values: { prompt: "worth asking", duration: ["5"], aspect_ratio: ["16:9"] } });
    expect(await discord.waitFor(() => ephemeralText(h, submit))).toMatch(/This video will cost up to \$1\.53\. Generate it\?/);
    await new Promise((r) => setTimeout(r, 300));
    expect(fal.requests).toEqual([]);
    const question = discord.messages().find((m) => m.interactionId === submit.id)!;
    await discord.clickButton({ messageId: question.id, customId: buttonsOf(question)[0]!.custom_id, user: discord.users.requester });
    const progress = await discord.waitFor(() => discord.messages().find((m) => m.message_reference?.message_id === source.id && m.text.includes("✅ Done")), 15_000);
    expect(progress.text).toContain("> worth asking");
    expect(discord.message(question.id)!.text).toMatch(/Your video is on its way/);
    expect(discord.rejections).toEqual([]);
  });
});

describe("more than 🔁 on a result", () => {
  for (const restart of [false, true]) {
    it(`Loop renders the same prompt and picture ending on the start picture${restart ? " (after a restart)" : ""}`, async () => {
      h = await startHarness();
      const { discord, fal } = h;
      const { result } = await deliveredVideo(h);
      if (restart) await h.restart();
      await discord.clickButton({ messageId: result.id, customId: buttonOf(result, "loop").custom_id, user: discord.users.requester });
      await fal.waitFor(() => fal.submissions.length === 2, 10_000);
      const [first, loop] = fal.submissions.map((s) => s.input);
      expect(loop.end_image_url).toBe(first.image_url);
      expect(loop.image_url).toBe(first.image_url);
      expect(loop.prompt).toBe(first.prompt);
      expect(loop.seed).toEqual(expect.any(Number));
      await discord.waitFor(() => videoMessages(h).length === 2, 15_000);
    });
  }

  it("Remix opens a form with the prompt filled in; its submit renders the edited prompt on the same picture", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result } = await deliveredVideo(h, { prompt: "the cat surfs a wave" });
    const press = await discord.clickButton({ messageId: result.id, customId: buttonOf(result, "remix").custom_id, user: discord.users.requester });
    const modal = await discord.waitFor(() => discord.modalOf(press.id));
    const inputs = inputsOf(modal);
    expect(inputs.prompt.value).toBe("the cat surfs a wave");
    expect(inputs.duration.options.find((o: any) => o.default).value).toBe("5");
    expect(inputs.aspect_ratio.options.find((o: any) => o.default).value).toBe("16:9");
    await discord.submitModal({ interactionId: press.id, values: { prompt: "the cat surfs a wave at night", duration: ["4"] } });
    await fal.waitFor(() => fal.submissions.length === 2, 10_000);
    const [first, remix] = fal.submissions.map((s) => s.input);
    expect(remix).toMatchObject({ prompt: "the cat surfs a wave at night", duration: "4", image_url: first.image_url, aspect_ratio: "16:9" });
    const progress = await discord.waitFor(() => discord.messages().find((m) => m.message_reference?.message_id === result.id && m.text.includes("✅ Done")), 15_000);
    expect(progress.text).toContain("at night");
    expect(discord.rejections).toEqual([]);
  });

  it("a Remix above the server's threshold asks first; a Remix of a Loop is a new video of the picture, without the loop's end frame", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result } = await deliveredVideo(h);
    await discord.clickButton({ messageId: result.id, customId: buttonOf(result, "loop").custom_id, user: discord.users.requester });
    await discord.waitFor(() => videoMessages(h).length === 2, 15_000);
    expect(fal.submissions[1]!.input.end_image_url).toBe(fal.submissions[0]!.input.image_url);
    await setLimits(h, [{ name: "confirm_above_usd", type: 10, value: 1 }]);

    const loopResult = videoMessages(h)[1]!;
    const press = await discord.clickButton({ messageId: loopResult.id, customId: buttonOf(loopResult, "remix").custom_id, user: discord.users.requester });
    await discord.waitFor(() => discord.modalOf(press.id));
    const sent = await discord.submitModal({ interactionId: press.id, values: { prompt: "no loop this time" } });
    expect(await discord.waitFor(() => ephemeralText(h, sent))).toMatch(/This video will cost up to \$1\.53\. Generate it\?/);
    await new Promise((r) => setTimeout(r, 300));
    expect(fal.submissions).toHaveLength(2); // nothing sent before Generate
    const question = discord.messages().find((m) => m.interactionId === sent.id)!;
    await discord.clickButton({ messageId: question.id, customId: buttonsOf(question)[0]!.custom_id, user: discord.users.requester });
    await fal.waitFor(() => fal.submissions.length === 3, 10_000);
    expect(fal.submissions[2]!.input).toMatchObject({ prompt: "no loop this time", image_url: fal.submissions[0]!.input.image_url });
    expect(fal.submissions[2]!.input.end_image_url).toBeUndefined();
  });

  it("a result older than fal keeps its picture (7 days) offers no new take: refused before anything is held", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result } = await deliveredVideo(h);
    const { repo } = h.bot.services;
    const job = (await repo.byMessage(result.id))!;
    await writeJob(h.bot.services.store, repo, { ...job, createdAt: Date.now() - 8 * 86_400_000, imageStoredAt: Date.now() - 8 * 86_400_000 });
    for (const action of ["regen", "loop", "remix"]) {
      const press = await discord.clickButton({ messageId: result.id, customId: buttonOf(result, action).custom_id, user: discord.users.requester });
      expect(await discord.waitFor(() => ephemeralText(h, press))).toMatch(/more than 7 days old/);
      expect(discord.modalOf(press.id)).toBeUndefined();
    }
    expect(fal.submissions).toHaveLength(1);
    expect(await quotaText(h)).toMatch(/held for running jobs \$0\.00/);
  });

  it("'too old for a new take' counts from when the picture reached fal, which a take inherits: a take of a take is refused in time", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result } = await deliveredVideo(h);
    const { repo, store } = h.bot.services;
    const source = (await repo.byMessage(result.id))!;
    const day = 86_400_000;
    await writeJob(store, repo, { ...source, createdAt: Date.now() - 6 * day, imageStoredAt: Date.now() - 6 * day });
    await discord.clickButton({ messageId: result.id, customId: buttonOf(result, "regen").custom_id, user: discord.users.requester });
    await discord.waitFor(() => videoMessages(h).length === 2, 15_000);
    const takeResult = videoMessages(h)[1]!;
    await discord.waitFor(() => discord.messages().find((m) => m.message_reference?.message_id === result.id && m.text.includes("✅ Done")), 10_000);
    await new Promise((r) => setTimeout(r, 300)); // the take's driver lets go of its lease
    const take = (await repo.byMessage(takeResult.id))!;
    expect(Math.abs(take.imageStoredAt! - (Date.now() - 6 * day))).toBeLessThan(60_000); // inherited, not the take's own time
    // two days pass: the take itself is two days old, its picture eight
    await writeJob(store, repo, { ...take, createdAt: take.createdAt - 2 * day, updatedAt: take.updatedAt - 2 * day, imageStoredAt: take.imageStoredAt! - 2 * day });
    const press = await discord.clickButton({ messageId: takeResult.id, customId: buttonOf(takeResult, "regen").custom_id, user: discord.users.requester });
    expect(await discord.waitFor(() => ephemeralText(h, press))).toMatch(/more than 7 days old/);
    expect(fal.submissions).toHaveLength(2);
  });

  it("a take of an auto-length video obeys the server's longest video, as /video does", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const first = await runVideo(h, { resolution: "720p", aspect_ratio: "16:9" }); // auto length
    await doneMessage(h, first.id);
    expect(fal.submissions[0]!.input.duration).toBe("auto");
    await setLimits(h, [{ name: "max_duration", type: 4, value: 8 }]);
    const result = videoMessages(h)[0]!;
    await discord.clickButton({ messageId: result.id, customId: buttonOf(result, "regen").custom_id, user: discord.users.requester });
    await fal.waitFor(() => fal.submissions.length === 2, 10_000);
    expect(fal.submissions[1]!.input.duration).toBe("8");
    const take = await discord.waitFor(() => discord.messages().find((m) => m.message_reference?.message_id === result.id && m.text.includes("Estimated cost")), 10_000);
    expect(take.text).toContain("Estimated cost: $2.44"); // 8 s held, not 15
  });

  it("another member's press on Regenerate, Loop or Remix changes nothing and tells them so, privately", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result } = await deliveredVideo(h);
    for (const action of ["regen", "loop", "remix"]) {
      const press = await discord.clickButton({ messageId: result.id, customId: buttonOf(result, action).custom_id, user: discord.users.stranger });
      expect(await discord.waitFor(() => ephemeralText(h, press))).toMatch(/Only <@\d+>, who asked for this video/);
      expect(discord.modalOf(press.id)).toBeUndefined();
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(fal.submissions).toHaveLength(1);
  });
});
