import { ApplicationCommandOptionType as T, InteractionContextType, MessageFlags, PermissionFlagsBits } from "discord.js";
import { defineCommand } from "../src/app/index.js";
import { refuse } from "../src/discord/index.js";
import { renderHistory } from "../src/history/index.js";
import { described, msg } from "../src/i18n/index.js";

export default defineCommand({
  definition: {
    name: "history",
    ...described("commands.history.description"),
    contexts: [InteractionContextType.Guild],
    options: [
      { type: T.User, name: "user", ...described("commands.history.user") },
      { type: T.Integer, name: "page", ...described("commands.history.page"), min_value: 1, max_value: 1000 },
    ],
  },
  async handle(interaction, args, s) {
    const target = args.user ?? interaction.user;
    const isAdmin = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
    if (target.id !== interaction.user.id && !isAdmin) return refuse(interaction, msg("history.othersAdminOnly"));
    const view = await renderHistory(s, interaction.guildId, target.id, args.page ?? 1, interaction.locale, interaction.user.id);
    await interaction.reply({ ...view, components: view.components as never, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  },
});
