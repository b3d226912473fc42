import { afterEach, describe, expect, it } from "vitest";
import { P } from "../fakes/discord/index.js";
import { buttonOf, deliveredVideo, ephemeralText, startHarness, type Harness } from "../support/harness.js";
import { linesIn, openModlog, settingsReply } from "./support.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const report = (h: Harness, resultId: string, user = h.discord.users.stranger) =>
  h.discord.clickButton({ messageId: resultId, customId: buttonOf(h.discord.message(resultId)!, "report").custom_id, user });

describe("the moderators' log", () => {
  it("is set only where the bot can post (it proves it with a first line), and /settings show says where it goes", async () => {
    h = await startHarness();
    const { discord } = h;
    expect(await settingsReply(h, "show")).toMatch(/Moderators' log: off \(Report tells members to contact the moderators\)/);
    const closed = await discord.addChannel({ name: "locked", botDeny: P.SEND_MESSAGES });
    expect(await settingsReply(h, "modlog", [{ name: "channel", type: 7, value: closed }])).toMatch(new RegExp(`^The bot cannot post in <#${closed}>: it needs Send Messages there\\. Nothing was changed\\.$`));
    expect(await settingsReply(h, "modlog")).toMatch(/There is no moderators' log/);
    const modlog = await openModlog(h);
    expect(linesIn(h, modlog)).toEqual([`🛡️ This channel is now the moderators' log of this bot (set by <@${discord.users.admin.id}>): one line per video made, per safety refusal and per report.`]);
    expect(await settingsReply(h, "show")).toMatch(new RegExp(`Moderators' log: <#${modlog}>`));
    expect(await settingsReply(h, "modlog", [{ name: "off", type: 5, value: true }])).toMatch(/The moderators' log is off/);
    expect(await settingsReply(h, "show")).toMatch(/Moderators' log: off/);
    expect(discord.rejections).toEqual([]);
  });

  it("gets one line per delivered video: requester, where, cost, result link and the prompt, inert and pinging no one", async () => {
    h = await startHarness();
    const { discord } = h;
    const modlog = await openModlog(h);
    const { result } = await deliveredVideo(h, { prompt: "**loud** [free nitro](https://evil.example) @everyone" });
    const line = await discord.waitFor(() => linesIn(h!, modlog).find((l) => l.startsWith("🎬")), 10_000);
    expect(line).toBe(
      `🎬 <@${discord.users.requester.id}> made a video in <#${discord.channelId}> ($1.53): https://discord.com/channels/${discord.guildId}/${discord.channelId}/${result.id}\n` +
        "> \\*\\*loud\\*\\* \\[free nitro\\]\\(https\\://evil\\.example\\) \\@everyone",
    );
    const posted = discord.requests.find((r) => r.method === "POST" && r.path === `/channels/${modlog}/messages` && String((r.json as { content?: string }).content).startsWith("🎬"))!;
    expect((posted.json as { allowed_mentions?: unknown }).allowed_mentions).toEqual({ parse: [] });
    expect(linesIn(h, modlog).filter((l) => l.startsWith("🎬"))).toHaveLength(1);
  });
});

describe("Report on a result", () => {
  it("takes anyone's report to the log once, with the reporter, the result and the prompt, and thanks them privately", async () => {
    h = await startHarness();
    const { discord } = h;
    const modlog = await openModlog(h);
    const { result } = await deliveredVideo(h, { prompt: "the cat surfs a wave" });
    expect(buttonOf(result, "report")).toMatchObject({ label: "Report", style: 2 });
    const first = await report(h, result.id);
    expect(await discord.waitFor(() => ephemeralText(h!, first), 10_000)).toBe("Thank you: the server's moderators have your report.");
    const line = await discord.waitFor(() => linesIn(h!, modlog).find((l) => l.startsWith("🚩")), 10_000);
    expect(line).toBe(`🚩 <@${discord.users.stranger.id}> reported a video by <@${discord.users.requester.id}>: https://discord.com/channels/${discord.guildId}/${discord.channelId}/${result.id}\n> the cat surfs a wave`);
    // pressed again: counted once
    const again = await report(h, result.id);
    expect(await discord.waitFor(() => ephemeralText(h!, again), 10_000)).toBe("You have already reported this video; the moderators have it.");
    // another member's report is theirs: a second line
    const admins = await report(h, result.id, discord.users.admin);
    expect(await discord.waitFor(() => ephemeralText(h!, admins), 10_000)).toMatch(/^Thank you/);
    await discord.waitFor(() => linesIn(h!, modlog).filter((l) => l.startsWith("🚩")).length === 2 || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(linesIn(h, modlog).filter((l) => l.startsWith("🚩"))).toHaveLength(2);
    expect(discord.rejections).toEqual([]);
  });

  it("with no log set, tells the reporter to contact the server's moderators", async () => {
    h = await startHarness();
    const { discord } = h;
    const { result } = await deliveredVideo(h);
    const pressed = await report(h, result.id);
    expect(await discord.waitFor(() => ephemeralText(h!, pressed), 10_000)).toBe("This server has no moderators' log set up. Please contact the server's moderators directly.");
    expect(discord.messages().filter((m) => m.content.startsWith("🚩"))).toHaveLength(0);
  });
});
