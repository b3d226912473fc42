import { afterEach, describe, expect, it } from "vitest";
import { buttonOf, deliveredVideo, ephemeralText, PNG, runVideo, startHarness, type Harness } from "../support/harness.js";
import { animatePicture, blockWords, cdnFetches, linesIn, moneyOf, openModlog, settingsReply } from "./support.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const REFUSED = /^This prompt uses a word or phrase this server does not allow in videos\. Please rephrase it; nothing was charged\.$/;

describe("a server's blocked words", () => {
  it("refuse a /video privately, naming nothing of the list, before anything is downloaded, held or sent; look-alike letters do not slip past", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const modlog = await openModlog(h);
    await blockWords(h, "gore, blood bath");
    // Cyrillic о and а, and a zero-width space: the same phrase to the matcher
    const refused = await runVideo(h, { prompt: "a blооd  bаth\u200B at dawn" });
    const text = await discord.waitFor(() => ephemeralText(h!, refused), 10_000);
    expect(text).toMatch(REFUSED);
    expect(text).not.toMatch(/gore|blood/i);
    expect(fal.submissions).toHaveLength(0);
    expect(fal.nsfwChecks).toHaveLength(0);
    expect(cdnFetches(h)).toBe(0);
    expect(await moneyOf(h)).toEqual({ held: 0, spent: 0 });
    // nothing public: the refusal was the interaction's private answer, and nothing else was posted
    expect(discord.channelMessages(discord.channelId)).toHaveLength(0);
    // the moderators see who, where and the prompt (inert), never pinged
    const line = await discord.waitFor(() => linesIn(h!, modlog).find((l) => l.startsWith("🚫")), 10_000);
    expect(line).toMatch(new RegExp(`^🚫 Refused for <@${discord.users.requester.id}> in <#${discord.channelId}>: the prompt uses a blocked word or phrase\\n> a blооd bаth`));
    // whole words only: "gory" and "bloodbath" are other words
    const fine = await deliveredVideo(h, { prompt: "a gory bloodbath of paint" });
    expect(fine.result).toBeDefined();
    expect(fal.submissions).toHaveLength(1);
    expect(discord.rejections).toEqual([]);
  });

  it("refuse Animate's form with nothing downloaded or held", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    await blockWords(h, "gore");
    const submit = await animatePicture(h, PNG, "GORE in the rain");
    expect(await discord.waitFor(() => ephemeralText(h!, submit), 10_000)).toMatch(REFUSED);
    expect(fal.submissions).toHaveLength(0);
    expect(cdnFetches(h)).toBe(0);
    expect(await moneyOf(h)).toEqual({ held: 0, spent: 0 });
  });

  it("refuse every new take of a video once its prompt is blocked: Regenerate, Loop, 🔁 and a Remix's new prompt", async () => {
    h = await startHarness();
    const { discord, fal } = h;
    const { result } = await deliveredVideo(h, { prompt: "the cat surfs a wave" });
    const modlog = await openModlog(h);
    await blockWords(h, "surfs");
    const before = await moneyOf(h);
    for (const action of ["regen", "loop"]) {
      const press = await discord.clickButton({ messageId: result.id, customId: buttonOf(result, action).custom_id, user: discord.users.requester });
      expect(await discord.waitFor(() => ephemeralText(h!, press), 10_000)).toMatch(REFUSED);
    }
    // a reaction has no private answer: the refusal replies in the channel, to the member only
    await discord.react({ messageId: result.id, emoji: "🔁", user: discord.users.requester });
    const reply = await discord.waitFor(() => discord.channelMessages(discord.channelId).find((m) => m.message_reference?.message_id === result.id && /does not allow/.test(m.content)), 10_000);
    expect(reply.content).toMatch(new RegExp(`^<@${discord.users.requester.id}> This prompt uses a word or phrase this server does not allow`));
    // Remix: the form's new prompt is checked before any question (the server asks above $0.01 now) or hold
    await settingsReply(h, "safety", [{ name: "words", type: 3, value: "remove" }, { name: "entries", type: 3, value: "surfs" }]);
    expect(await settingsReply(h, "limits", [{ name: "confirm_above_usd", type: 10, value: 0.01 }])).toMatch(/Saved/);
    await blockWords(h, "night");
    const remix = await discord.clickButton({ messageId: result.id, customId: buttonOf(result, "remix").custom_id, user: discord.users.requester });
    await discord.waitFor(() => discord.modalOf(remix.id), 5_000);
    const sent = await discord.submitModal({ interactionId: remix.id, values: { prompt: "the cat surfs at NIGHT", duration: ["4"] } });
    expect(await discord.waitFor(() => ephemeralText(h!, sent), 10_000)).toMatch(REFUSED);
    expect(fal.submissions).toHaveLength(1);
    expect(await moneyOf(h)).toEqual(before);
    // one line per refusal: two buttons, the reaction and the remix
    await discord.waitFor(() => linesIn(h!, modlog).filter((l) => l.startsWith("🚫")).length === 4 || undefined, 10_000);
    expect(discord.rejections).toEqual([]);
  });

  it("are listed to admins only, capped like AutoMod's lists, and kept by /settings reset", async () => {
    h = await startHarness();
    const { discord } = h;
    expect(await settingsReply(h, "safety", [{ name: "words", type: 3, value: "list" }])).toMatch(/blocks no words yet/);
    await blockWords(h, "gore, **bold** <@everyone>");
    const list = await settingsReply(h, "safety", [{ name: "words", type: 3, value: "list" }]);
    expect(list).toBe("Blocked words and phrases (2 of 200): gore · \\*\\*bold\\*\\* \\<\\@everyone\\>");
    expect(await settingsReply(h, "safety", [{ name: "words", type: 3, value: "add" }, { name: "entries", type: 3, value: "x".repeat(61) }])).toMatch(/at most 60 characters/);
    const many = Array.from({ length: 199 }, (_, i) => `w${i}`).join(","); // within the option's 1000 characters
    expect(await settingsReply(h, "safety", [{ name: "words", type: 3, value: "add" }, { name: "entries", type: 3, value: many }])).toMatch(/at most 200 words and phrases; there is room for 198 more/);
    // a member without Manage Server cannot see or change the list
    expect(await settingsReply(h, "safety", [{ name: "words", type: 3, value: "list" }], discord.users.requester)).toMatch(/Only members with the Manage Server permission/);
    expect(await settingsReply(h, "reset")).toMatch(/The blocked words and the moderators' log are kept/);
    expect(await settingsReply(h, "safety")).toMatch(/Blocked words and phrases: 2 of 200/);
  });
});
