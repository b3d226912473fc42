import { ApplicationCommandOptionType as T, ChannelType, InteractionContextType, MessageFlags, PermissionFlagsBits } from "discord.js";
import { defineCommand } from "../src/app/index.js";
import { refuse } from "../src/discord/index.js";
import { choiceNamed, described, msg, translator, usd } from "../src/i18n/index.js";
import { MAX_SECONDS, MIN_SECONDS, RESOLUTIONS, usdToMicros, type Resolution } from "../src/seedance/index.js";
import type { Services } from "../src/app/index.js";
import { ANIMATE_FROM, NO_SETTINGS, SAFETY_FIELDS, type AnimateFrom, type GuildSettings } from "../src/settings/index.js";
import { modlogCommand, safetyCommand, safetyLines, WORD_ACTIONS } from "../src/safety/index.js";

const d = (key: string) => described(`commands.settings.${key}`);
const MAX_CONFIRM_USD = 10_000;

/** A server's settings, and what the operator decides above them. */
async function renderSettings(s: Services, guildId: string, settings: GuildSettings, locale: string): Promise<string> {
  const tr = translator(locale);
  const period = tr(`common.period.${s.config.quotaPeriod}`);
  const cap = await s.budget.guildCapFor(guildId);
  const noLimit = tr("settings.noLimit");
  return [
    tr("settings.title"),
    tr("settings.channels", { channels: settings.channels.length ? settings.channels.map((id) => `<#${id}>`).join(", ") : tr("settings.anyChannel") }),
    tr("settings.maxResolution", { value: settings.maxResolution ?? noLimit }),
    tr("settings.maxDuration", { value: settings.maxDuration ? tr("progress.seconds", { seconds: settings.maxDuration }) : noLimit }),
    tr("settings.confirmAbove", { value: settings.confirmAboveMicros === null ? noLimit : usd(settings.confirmAboveMicros) }),
    tr("settings.audioDefault", { value: settings.audioDefault === false ? tr("settings.no") : tr("settings.yes") }),
    tr("settings.animate", { value: tr(`settings.animateFrom.${settings.animate}`) }),
    "",
    tr("safety.show.title"),
    ...(await safetyLines(s, guildId, locale)),
    "",
    tr("settings.operatorTitle"),
    tr("settings.guildCap", { value: cap.micros === null ? noLimit : usd(cap.micros), period }),
    tr("settings.spendCap", { value: s.budget.spendCapMicros === null ? noLimit : usd(s.budget.spendCapMicros), period }),
  ].join("\n");
}

export default defineCommand({
  definition: {
    name: "settings",
    ...d("description"),
    // Discord shows it to members with Manage Server; the code checks again
    default_member_permissions: String(PermissionFlagsBits.ManageGuild),
    contexts: [InteractionContextType.Guild],
    options: [
      { type: T.Subcommand, name: "show", ...d("show") },
      {
        type: T.Subcommand,
        name: "channels",
        ...d("channels"),
        options: [
          {
            type: T.String,
            name: "action",
            ...d("action"),
            required: true,
            choices: [
              { ...choiceNamed("commands.settings.allow"), value: "allow" },
              { ...choiceNamed("commands.settings.remove"), value: "remove" },
              { ...choiceNamed("commands.settings.clear"), value: "clear" },
            ],
          },
          { type: T.Channel, name: "channel", ...d("channel"), channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement] },
        ],
      },
      {
        type: T.Subcommand,
        name: "limits",
        ...d("limits"),
        options: [
          { type: T.String, name: "max_resolution", ...d("maxResolution"), choices: RESOLUTIONS.map((r) => ({ name: r, value: r })) },
          { type: T.Integer, name: "max_duration", ...d("maxDuration"), min_value: MIN_SECONDS, max_value: MAX_SECONDS },
          { type: T.Number, name: "confirm_above_usd", ...d("confirmAbove"), min_value: 0, max_value: MAX_CONFIRM_USD },
          { type: T.Boolean, name: "audio_default", ...d("audioDefault") },
          { type: T.String, name: "animate", ...d("animate"), choices: ANIMATE_FROM.map((v) => ({ ...choiceNamed(`commands.settings.animateFrom.${v}`), value: v })) },
        ],
      },
      {
        type: T.Subcommand,
        name: "safety",
        ...d("safety"),
        options: [
          { type: T.String, name: "words", ...d("words"), choices: WORD_ACTIONS.map((v) => ({ ...choiceNamed(`commands.settings.wordActions.${v}`), value: v })) },
          { type: T.String, name: "entries", ...d("entries"), max_length: 1000 },
        ],
      },
      {
        type: T.Subcommand,
        name: "modlog",
        ...d("modlog"),
        options: [
          { type: T.Channel, name: "channel", ...d("modlogChannel"), channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement] },
          { type: T.Boolean, name: "off", ...d("modlogOff") },
        ],
      },
      { type: T.Subcommand, name: "reset", ...d("reset") },
    ],
  },
  async handle(interaction, args, s) {
    const guildId = interaction.guildId;
    if (!guildId) return refuse(interaction, msg("common.serverOnly"));
    if (!interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return refuse(interaction, msg("settings.adminOnly"));
    const tr = translator(interaction.locale);
    const reply = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    const by = interaction.user.id;
    const current = await s.settings.get(guildId);

    if (args.subcommand === "show") return void (await reply(await renderSettings(s, guildId, current, interaction.locale)));
    if (args.subcommand === "safety") return safetyCommand(interaction, args, s, by);
    if (args.subcommand === "modlog") return modlogCommand(interaction, args, s, by);
    if (args.subcommand === "reset") {
      // the blocked words and the moderators' log stay: a reset of limits must not open the door
      const { [SAFETY_FIELDS[0]]: _words, [SAFETY_FIELDS[1]]: _modlog, ...limits } = NO_SETTINGS;
      await s.settings.update(guildId, limits, by);
      return void (await reply(tr("settings.resetDone")));
    }
    if (args.subcommand === "channels") {
      if (args.action === "clear") {
        await s.settings.update(guildId, { channels: [] }, by);
        return void (await reply(tr("settings.channelsCleared")));
      }
      if (!args.channel) return refuse(interaction, msg("settings.needChannel"));
      const channelId = args.channel.id;
      const channels = args.action === "allow" ? [...new Set([...current.channels, channelId])] : current.channels.filter((id) => id !== channelId);
      await s.settings.update(guildId, { channels }, by);
      return void (await reply(tr(args.action === "allow" ? "settings.channelAdded" : "settings.channelRemoved", { channelId })));
    }
    // limits: each option given is checked again here (Discord's client enforces the bounds too)
    const change: Partial<GuildSettings> = {};
    if (args.max_resolution !== undefined) {
      if (!s.tier.resolutions.includes(args.max_resolution as Resolution)) return refuse(interaction, msg("settings.badResolution", { resolutions: s.tier.resolutions.join(", ") }));
      change.maxResolution = args.max_resolution as Resolution;
    }
    if (args.max_duration !== undefined) {
      if (!Number.isInteger(args.max_duration) || args.max_duration < MIN_SECONDS || args.max_duration > MAX_SECONDS) return refuse(interaction, msg("settings.badDuration", { min: MIN_SECONDS, max: MAX_SECONDS }));
      change.maxDuration = args.max_duration;
    }
    if (args.confirm_above_usd !== undefined) {
      if (!Number.isFinite(args.confirm_above_usd) || args.confirm_above_usd < 0 || args.confirm_above_usd > MAX_CONFIRM_USD) {
        return refuse(interaction, msg("settings.badAmount", { min: usd(0), max: usd(MAX_CONFIRM_USD * 1_000_000) }));
      }
      change.confirmAboveMicros = usdToMicros(args.confirm_above_usd);
    }
    if (args.audio_default !== undefined) change.audioDefault = args.audio_default;
    if (args.animate !== undefined) {
      if (!ANIMATE_FROM.includes(args.animate as AnimateFrom)) return refuse(interaction, msg("settings.nothingToChange"));
      change.animate = args.animate as AnimateFrom;
    }
    if (!Object.keys(change).length) return refuse(interaction, msg("settings.nothingToChange"));
    const next = await s.settings.update(guildId, change, by);
    await reply(tr("settings.limitsSaved", { summary: (await renderSettings(s, guildId, next, interaction.locale)).split("\n").slice(1, 7).join(" · ") }));
  },
});
