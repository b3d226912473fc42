import { formatUsd } from "../src/seedance/index.js";
import { ApplicationCommandOptionType as T, InteractionContextType, MessageFlags } from "discord.js";
import { defineCommand } from "../src/app/index.js";
import { refuse } from "../src/discord/index.js";
import { described, msg, t, usd, type MessageValue } from "../src/i18n/index.js";
import { parseGuildCap, renderOperatorStatus } from "../src/operator/index.js";

const d = (key: string) => described(`commands.operator.${key}`);

export default defineCommand({
  definition: {
    name: "operator",
    ...d("description"),
    // Discord shows it to admins only; the code lets only the operator use it
    default_member_permissions: "0",
    contexts: [InteractionContextType.Guild],
    options: [
      { type: T.Subcommand, name: "status", ...d("status") },
      {
        type: T.Subcommand,
        name: "cap",
        ...d("cap"),
        options: [
          { type: T.String, name: "guild_id", ...d("guildId"), required: true, min_length: 17, max_length: 20 },
          { type: T.String, name: "usd", ...d("usd"), required: true, max_length: 20 },
        ],
      },
      { type: T.Subcommand, name: "pause", ...d("pause") },
      { type: T.Subcommand, name: "resume", ...d("resume") },
    ],
  },
  async handle(interaction, args, s) {
    if (!s.operator.isOwner(interaction.user.id)) return refuse(interaction, msg("operator.onlyOperator"));
    const locale = interaction.locale;
    const reply = (key: string, vars?: Record<string, MessageValue>) => interaction.reply({ content: t(locale, key, vars), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    const by = interaction.user.id;
    switch (args.subcommand) {
      case "status":
        return void (await interaction.reply({ content: await renderOperatorStatus(s, locale), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } }));
      case "pause":
        await s.operator.pause(by);
        return void (await reply("operator.paused"));
      case "resume":
        await s.operator.resume(by);
        return void (await reply("operator.resumed"));
      case "cap": {
        if (!/^\d{17,20}$/.test(args.guild_id)) return refuse(interaction, msg("operator.badGuildId"));
        const cap = parseGuildCap(args.usd);
        if (cap === undefined) return refuse(interaction, msg("operator.badCap"));
        await s.budget.setGuildCap(args.guild_id, cap);
        await s.operator.audit.record({ by, action: "cap", guildId: args.guild_id, detail: cap === null ? "default" : cap === "none" ? "none" : formatUsd(cap), from: "discord" });
        s.log.info({ guild: args.guild_id, cap, by }, "server cap set by the operator");
        if (cap === null) return void (await reply("operator.capDefault", { guildId: args.guild_id }));
        if (cap === "none") return void (await reply("operator.capNone", { guildId: args.guild_id }));
        return void (await reply("operator.capSet", { guildId: args.guild_id, amount: usd(cap), period: msg(`common.period.${s.config.quotaPeriod}`) }));
      }
    }
  },
});
