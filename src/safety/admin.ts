import { ChannelType, MessageFlags, type ChatInputCommandInteraction, type Client } from "discord.js";
import { botPermissionsIn, missingPermissions, refuse } from "../discord/index.js";
import { inertPreview } from "../discord/index.js";
import { msg, permissionList, translator } from "../i18n/index.js";
import type { Settings } from "../settings/index.js";
import type { Modlog } from "./modlog.js";
import type { PictureScreen } from "./screening.js";
import { MAX_BLOCKED_WORD_LENGTH, MAX_BLOCKED_WORDS, parseEntries, withEntries, withoutEntries } from "./words.js";

/** What the admins' safety commands use. */
export interface SafetyAdminDeps {
  client: Client;
  settings: Settings;
  modlog: Modlog;
  screen: PictureScreen;
}

export const WORD_ACTIONS = ["add", "remove", "list"] as const;
type WordAction = (typeof WORD_ACTIONS)[number];

/** The safety lines of `/settings show` and `/settings safety`: the log, the word list's size, screening. */
export async function safetyLines(d: SafetyAdminDeps, guildId: string, locale: string): Promise<string[]> {
  const tr = translator(locale);
  const s = await d.settings.get(guildId);
  return [
    tr("safety.show.modlog", { value: s.modlogChannelId ? `<#${s.modlogChannelId}>` : tr("safety.show.modlogOff") }),
    tr("safety.show.words", { count: s.blockedWords.length, max: MAX_BLOCKED_WORDS }),
    d.screen.on ? tr("safety.show.screeningOn", { threshold: d.screen.threshold.toFixed(2) }) : tr("safety.show.screeningOff"),
  ];
}

/**
 * `/settings safety [words:add|remove|list] [entries:…]`: the server's blocked words (each
 * change answered privately; the list is shown only to the admins who ask), or the safety
 * settings when no action is given.
 */
export async function safetyCommand(interaction: ChatInputCommandInteraction, args: { words?: string | undefined; entries?: string | undefined }, d: SafetyAdminDeps, by: string): Promise<void> {
  const guildId = interaction.guildId!;
  const tr = translator(interaction.locale);
  const reply = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  const action = args.words as WordAction | undefined;
  if (action === undefined) return void (await reply([tr("safety.show.title"), ...(await safetyLines(d, guildId, interaction.locale))].join("\n")));
  if (!WORD_ACTIONS.includes(action)) return refuse(interaction, msg("settings.nothingToChange"));
  const current = (await d.settings.get(guildId)).blockedWords;
  if (action === "list") {
    if (!current.length) return void (await reply(tr("safety.words.empty")));
    // inert: an entry is shown as typed, never as markup or a mention
    return void (await reply(tr("safety.words.list", { count: current.length, max: MAX_BLOCKED_WORDS, entries: current.map((e) => inertPreview(e, MAX_BLOCKED_WORD_LENGTH)).join(" · ") }).slice(0, 2000)));
  }
  const parsed = parseEntries(args.entries ?? "");
  if (parsed.problem === "too_long") return refuse(interaction, msg("safety.words.tooLong", { max: MAX_BLOCKED_WORD_LENGTH }));
  if (parsed.problem) return refuse(interaction, msg("safety.words.needEntries"));
  if (action === "add") {
    const next = withEntries(current, parsed.entries);
    if (next.length > MAX_BLOCKED_WORDS) return refuse(interaction, msg("safety.words.tooMany", { max: MAX_BLOCKED_WORDS, room: Math.max(0, MAX_BLOCKED_WORDS - current.length) }));
    await d.settings.update(guildId, { blockedWords: next }, by);
    return void (await reply(tr("safety.words.added", { added: next.length - current.length, count: next.length, max: MAX_BLOCKED_WORDS })));
  }
  const next = withoutEntries(current, parsed.entries);
  await d.settings.update(guildId, { blockedWords: next }, by);
  await reply(tr("safety.words.removed", { removed: current.length - next.length, count: next.length, max: MAX_BLOCKED_WORDS }));
}

/**
 * `/settings modlog channel:#c` names the moderators' log once the bot has posted its first line
 * there (the proof it may post); `off:true` stops it; neither says where it goes.
 */
export async function modlogCommand(interaction: ChatInputCommandInteraction, args: { channel?: { id: string } | undefined; off?: boolean | undefined }, d: SafetyAdminDeps, by: string): Promise<void> {
  const guildId = interaction.guildId!;
  const tr = translator(interaction.locale);
  const reply = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  if (args.off) {
    await d.settings.update(guildId, { modlogChannelId: null }, by);
    return void (await reply(tr("safety.modlog.off")));
  }
  if (!args.channel) {
    const current = (await d.settings.get(guildId)).modlogChannelId;
    return void (await reply(current ? tr("safety.modlog.current", { channelId: current }) : tr("safety.modlog.none")));
  }
  const channelId = args.channel.id;
  const channel = d.client.channels.cache.get(channelId);
  if (!channel || !("guildId" in channel) || channel.guildId !== guildId || (channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildAnnouncement)) {
    return refuse(interaction, msg("safety.modlog.badChannel"));
  }
  const have = botPermissionsIn(d.client, channelId);
  const missing = have ? missingPermissions(have, ["viewChannel", "sendMessages"], channel) : [];
  if (missing.length) return refuse(interaction, msg("safety.modlog.cannotPost", { channelId, permissions: permissionList(missing) }));
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  // the cache can be wrong (an overwrite changed meanwhile): the first line is the real test
  if ((await d.modlog.opened(guildId, channelId, by, interaction.guildLocale ?? interaction.locale)) !== "posted") {
    await interaction.editReply({ content: tr("safety.modlog.cannotPost", { channelId, permissions: permissionList(["viewChannel", "sendMessages"]) }) });
    return;
  }
  await d.settings.update(guildId, { modlogChannelId: channelId }, by);
  await interaction.editReply({ content: tr("safety.modlog.set", { channelId }) });
}
