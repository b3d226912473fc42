import { ApplicationCommandOptionType as T, InteractionContextType, MessageFlags } from "discord.js";
import { defineCommand } from "../src/discord/command.js";
import { refuse } from "../src/discord/replies.js";
import { parseGuildCap, renderOperatorStatus } from "../src/operator/status.js";
import { formatUsd } from "../src/seedance/pricing.js";

const ONLY_OPERATOR = "Only the bot's operator can use this command.";

export default defineCommand({
  definition: {
    name: "operator",
    description: "The bot's operator: spending, caps and the emergency brake",
    // Discord shows it to admins only; the code lets only the operator use it
    default_member_permissions: "0",
    contexts: [InteractionContextType.Guild],
    options: [
      { type: T.Subcommand, name: "status", description: "This period's spending by server, the caps in force, jobs in flight" },
      {
        type: T.Subcommand,
        name: "cap",
        description: "Set one server's spending cap per period (overrides GUILD_SPEND_CAP_USD)",
        options: [
          { type: T.String, name: "guild_id", description: "The server's id", required: true, min_length: 17, max_length: 20 },
          { type: T.String, name: "usd", description: "Dollars per period, or none (no cap), or default (GUILD_SPEND_CAP_USD)", required: true, max_length: 20 },
        ],
      },
      { type: T.Subcommand, name: "pause", description: "Refuse new videos everywhere (jobs already at fal finish and are delivered)" },
      { type: T.Subcommand, name: "resume", description: "Accept new videos again" },
    ],
  },
  async handle(interaction, args, s) {
    if (!s.operator.isOwner(interaction.user.id)) return refuse(interaction, ONLY_OPERATOR);
    const reply = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    const by = interaction.user.id;
    switch (args.subcommand) {
      case "status":
        return void (await reply(await renderOperatorStatus(s)));
      case "pause":
        await s.operator.pause(by);
        return void (await reply("⏸️ New videos are paused everywhere. Jobs already at fal will finish and be delivered. `/operator resume` lifts it."));
      case "resume":
        await s.operator.resume(by);
        return void (await reply("▶️ New videos are accepted again."));
      case "cap": {
        if (!/^\d{17,20}$/.test(args.guild_id)) return refuse(interaction, "That is not a server id (17 to 20 digits).");
        const cap = parseGuildCap(args.usd);
        if (cap === undefined) return refuse(interaction, "The cap must be an amount in US dollars (such as 25 or 12.50), `none` or `default`.");
        await s.budget.setGuildCap(args.guild_id, cap);
        s.log.info({ guild: args.guild_id, cap, by }, "server cap set by the operator");
        const text = cap === null ? "now follows GUILD_SPEND_CAP_USD" : cap === "none" ? "now has no cap" : `is now capped at ${formatUsd(cap)} per ${s.config.quotaPeriod}`;
        return void (await reply(`Server ${args.guild_id} ${text}.`));
      }
    }
  },
});
