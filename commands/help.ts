import { InteractionContextType, MessageFlags } from "discord.js";
import { defineCommand } from "../src/app/index.js";
import { creditLines } from "../src/credits/index.js";
import { described, translator, usd, usdDown, usdFine, usdUp } from "../src/i18n/index.js";
import { costMicros, FRAME_SIZES, perSecondMicros } from "../src/seedance/index.js";

export default defineCommand({
  definition: {
    name: "help",
    ...described("commands.help.description"),
    contexts: [InteractionContextType.Guild],
  },
  async handle(interaction, _args, s) {
    const tr = translator(interaction.locale);
    // the prices come from the same table the estimates and charges do (16:9; other shapes are within 1%)
    const prices = s.tier.resolutions.map((resolution) => {
      const frame = FRAME_SIZES[resolution]["16:9"];
      return tr("help.price", { resolution, perSecond: usdFine(perSecondMicros(s.tier, frame)), fiveSeconds: usdUp(costMicros(s.tier, frame, 5)) });
    });
    const lines = [tr("help.title"), tr("help.intro", { tier: s.tier.name }), "", tr("help.pricesTitle"), ...prices];
    if (interaction.guildId) {
      const budget = await s.budget.status(interaction.guildId, interaction.user.id);
      lines.push("", tr("help.budgetTitle"), tr("help.budget", {
        left: usdDown(budget.remainingMicros),
        limit: usd(budget.limitMicros),
        period: tr(`common.thisPeriod.${s.config.quotaPeriod}`),
        resets: `<t:${Math.floor(budget.resetAt / 1000)}:R>`,
      }));
      if (s.shop.on) lines.push(...creditLines(tr, s.shop.appId, budget.creditMicros ?? 0, s.shop.packs()));
    }
    lines.push("", tr("help.commandsTitle"), tr("help.cmdVideo"), tr("help.cmdHistory"), tr("help.cmdQuota"), tr("help.cmdSettings"), tr("help.cmdAnimate"), tr("help.cmdHelp"));
    await interaction.reply({ content: lines.join("\n").slice(0, 2000), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  },
});
