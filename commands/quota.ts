import { ApplicationCommandOptionType as T, InteractionContextType, MessageFlags, PermissionFlagsBits } from "discord.js";
import { defineCommand } from "../src/discord/command.js";
import { refuse } from "../src/discord/replies.js";
import { MAX_ADMIN_USD } from "../src/quota/budget.js";
import { renderBudget } from "../src/quota/render.js";
import { formatUsd, usdToMicros } from "../src/seedance/pricing.js";

const usd = { type: T.Number, name: "usd", description: `Amount in US dollars per period (0 to ${MAX_ADMIN_USD})`, required: true, min_value: 0, max_value: MAX_ADMIN_USD } as const;
const ADMIN_ONLY = "Only members with the Manage Server permission can change budgets.";

export default defineCommand({
  definition: {
    name: "quota",
    description: "See or manage video budgets",
    contexts: [InteractionContextType.Guild],
    options: [
      {
        type: T.Subcommand,
        name: "show",
        description: "Show a video budget: spent, held, left and when it resets",
        options: [{ type: T.User, name: "user", description: "Whose budget (admins only for others)" }],
      },
      {
        type: T.Subcommand,
        name: "set",
        description: "Set one member's budget per period (admins)",
        options: [{ type: T.User, name: "user", description: "The member", required: true }, usd],
      },
      { type: T.Subcommand, name: "default", description: "Set this server's default budget per period (admins)", options: [usd] },
      {
        type: T.Subcommand,
        name: "reset",
        description: "Clear a member's spending for the current period (admins)",
        options: [{ type: T.User, name: "user", description: "The member", required: true }],
      },
    ],
  },
  async handle(interaction, args, { budget, config, log }) {
    const guildId = interaction.guildId;
    if (!guildId) return refuse(interaction, "Budgets belong to servers: use this command in a server.");
    const isAdmin = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
    const reply = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });

    if (args.subcommand === "show") {
      const target = args.user ?? interaction.user;
      if (target.id !== interaction.user.id && !isAdmin) return refuse(interaction, "You can see your own budget; only admins can see other members' budgets.");
      return void (await reply(renderBudget(target.id, await budget.status(guildId, target.id), config.quotaPeriod)));
    }
    if (!isAdmin) return refuse(interaction, ADMIN_ONLY);
    if (args.subcommand === "reset") {
      await budget.resetSpent(guildId, args.user.id);
      log.info({ guild: guildId, admin: interaction.user.id, member: args.user.id }, "budget spending reset");
      return void (await reply(`Cleared the spending of <@${args.user.id}> for this ${config.quotaPeriod}.`));
    }
    if (!Number.isFinite(args.usd) || args.usd < 0 || args.usd > MAX_ADMIN_USD) {
      return refuse(interaction, `The amount must be between $0 and $${MAX_ADMIN_USD} per ${config.quotaPeriod}.`);
    }
    const micros = usdToMicros(args.usd);
    if (args.subcommand === "set") {
      await budget.setUserLimit(guildId, args.user.id, micros);
      log.info({ guild: guildId, admin: interaction.user.id, member: args.user.id, micros }, "member budget set");
      return void (await reply(`The budget of <@${args.user.id}> is now ${formatUsd(micros)} per ${config.quotaPeriod}.`));
    }
    await budget.setGuildDefault(guildId, micros);
    log.info({ guild: guildId, admin: interaction.user.id, micros }, "server default budget set");
    return void (await reply(`This server's default budget is now ${formatUsd(micros)} per member per ${config.quotaPeriod}.`));
  },
});
