import { expect } from "vitest";
import { ephemeralText, PICTURE, type Harness } from "../support/harness.js";
import type { FakeUser } from "../fakes/discord/index.js";

/** An admin's `/settings <sub> …` answered privately: the text they read. */
export async function settingsReply(h: Harness, sub: string, options: Array<{ name: string; type: number; value: unknown }> = [], user: FakeUser = h.discord.users.admin): Promise<string> {
  const i = await h.discord.slashCommand({ name: "settings", user, options: [{ name: sub, type: 1, options }] as never });
  return h.discord.waitFor(() => ephemeralText(h, i), 10_000);
}

/** Blocks `entries` (comma-separated) in the test server. */
export async function blockWords(h: Harness, entries: string): Promise<void> {
  expect(await settingsReply(h, "safety", [{ name: "words", type: 3, value: "add" }, { name: "entries", type: 3, value: entries }])).toMatch(/^Added \d+\./);
}

/** Adds a text channel for the moderators' log and names it; its id. */
export async function openModlog(h: Harness): Promise<string> {
  const channelId = await h.discord.addChannel({ name: "mod-log" });
  expect(await settingsReply(h, "modlog", [{ name: "channel", type: 7, value: channelId }])).toMatch(/The moderators' log is now <#\d+>/);
  return channelId;
}

/** The lines the bot posted in a channel (oldest first). */
export const linesIn = (h: Harness, channelId: string): string[] => h.discord.channelMessages(channelId).map((m) => m.content);

/** GETs of Discord's CDN for attachments (the bot's download, or fal's fetch for its check). */
export const cdnFetches = (h: Harness): number => h.discord.requests.filter((r) => r.method === "GET" && r.path.includes("/attachments/")).length;

/** What the member holds and spent in the test server (the ledger's own answer). */
export async function moneyOf(h: Harness, user: FakeUser = h.discord.users.requester): Promise<{ held: number; spent: number }> {
  const status = await h.bot.services.budget.status(h.discord.guildId, user.id);
  return { held: status.reservedMicros, spent: status.spentMicros };
}

/** A member posts `picture` and sends Animate's form on it with `prompt`: the form's interaction. */
export async function animatePicture(h: Harness, picture: Buffer, prompt: string) {
  const { discord } = h;
  const attachment = discord.addAttachment(picture, "photo.png", "image/png", PICTURE);
  const message = discord.userMessage({ content: "", attachments: [attachment], user: discord.users.requester });
  const use = await discord.messageCommand({ name: "Animate", messageId: message.id, user: discord.users.requester });
  await discord.waitFor(() => discord.modalOf(use.id), 5_000);
  return discord.submitModal({ interactionId: use.id, values: { prompt, duration: ["4"] } });
}
