import { ApplicationCommandOptionType as T, InteractionContextType, MessageFlags, PermissionFlagsBits } from "discord.js";
import { defineCommand } from "../src/app/index.js";
import { refuse } from "../src/discord/index.js";
import { creditLines } from "../src/credits/index.js";
import { described, msg, t, translator, usd } from "../src/i18n/index.js";
import { MAX_ADMIN_USD } from "../src/quota/index.js";
import { renderBudget } from "../src/quota/index.js";
import { usdToMicros } from "../src/seedance/index.js";

const d = (key: string) => described(`commands.quota.${key}`);
const amount = { type: T.Number, name: "usd", ...described("commands.quota.usd", { max: MAX_ADMIN_USD }), required: true, min_value: 0, max_value: MAX_ADMIN_USD } as const;

export default defineCommand({
  definition: {
    name: "quota",
    ...d("description"),
    contexts: [InteractionContextType.Guild],
    options: [
      { type: T.Subcommand, name: "show", ...d("show"), options: [{ type: T.User, name: "user", ...d("showUser") }] },
      { type: T.Subcommand, name: "set", ...d("set"), options: [{ type: T.User, name: "user", ...d("member"), required: true }, amount] },
      { type: T.Subcommand, name: "default", ...d("default"), options: [amount] },
      { type: T.Subcommand, name: "reset", ...d("reset"), options: [{ type: T.User, name: "user", ...d("member"), required: true }] },
    ],
  },
  async handle(interaction, args, { budget, config, log, shop }) {
    const guildId = interaction.guildId;
    if (!guildId) return refuse(interaction, msg("quota.serverOnly"));
    const locale = interaction.locale;
    const period = msg(`common.period.${config.quotaPeriod}`);
    const isAdmin = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
    const reply = (key: string, vars?: Parameters<typeof t>[2]) => interaction.reply({ content: t(locale, key, vars), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });

    if (args.subcommand === "show") {
      const target = args.user ?? interaction.user;
      if (target.id !== interaction.user.id && !isAdmin) return refuse(interaction, msg("quota.ownOnly"));
      const status = await budget.status(guildId, target.id);
      const lines = [renderBudget(locale, target.id, status, config.quotaPeriod)];
      if (shop.on) lines.push("", ...creditLines(translator(locale), shop.appId, status.creditMicros ?? 0, shop.packs()));
      const text = lines.join("\n").slice(0, 2000);
      return void (await interaction.reply({ content: text, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } }));
    }
    if (!isAdmin) return refuse(interaction, msg("quota.adminOnly"));
    if (args.subcommand === "reset") {
      await budget.resetSpent(guildId, args.user.id);
      log.info({ guild: guildId, admin: interaction.user.id, member: args.user.id }, "budget spending reset");
      return void (await reply("quota.reset", { userId: args.user.id, period: msg(`common.thisPeriod.${config.quotaPeriod}`) }));
    }
    if (!Number.isFinite(args.usd) || args.usd < 0 || args.usd > MAX_ADMIN_USD) {
      return refuse(interaction, msg("quota.badAmount", { min: usd(0), max: usd(MAX_ADMIN_USD * 1_000_000), period }));
    }
    const micros = usdToMicros(args.usd);
    if (args.subcommand === "set") {
      await budget.setUserLimit(guildId, args.user.id, micros);
      log.info({ guild: guildId, admin: interaction.user.id, member: args.user.id, micros }, "member budget set");
      return void (await reply("quota.memberSet", { userId: args.user.id, amount: usd(micros), period }));
    }
    await budget.setGuildDefault(guildId, micros);
    log.info({ guild: guildId, admin: interaction.user.id, micros }, "server default budget set");
    return void (await reply("quota.defaultSet", { amount: usd(micros), period }));
  },
});
