import { ApplicationCommandType, ApplicationIntegrationType, InteractionContextType } from "discord.js";
import { defineMessageCommand } from "../src/app/index.js";
import { choiceNamed } from "../src/i18n/index.js";
import { openAnimate } from "../src/requests/index.js";

/** Apps → Animate on any message with a picture: a form, then a job exactly like `/video`. */
export default defineMessageCommand({
  definition: {
    type: ApplicationCommandType.Message,
    ...choiceNamed("commands.animate.name"),
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
  handle: (interaction, services) => openAnimate(interaction, services),
});
