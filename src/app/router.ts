import { Events, type ButtonInteraction, type Client, type ModalSubmitInteraction } from "discord.js";
import { msg } from "../i18n/index.js";
import { isStoreUnavailable } from "../store/index.js";
import type { Services } from "./services.js";
import { isMessageCommand, readArgs, type AnyCommand } from "./command.js";
import { refuse } from "../discord/index.js";
import { onButton, onReaction } from "../followups/index.js";

/** What a member is told when handling their interaction failed: the store being away is said so. */
function failureText(err: unknown) {
  return msg(isStoreUnavailable(err) ? "common.storeDown" : "common.oops");
}

/** The operator's own command works wherever an owner runs it. */
const OPERATOR_COMMAND = "operator";

/** Buttons by the first part of their custom id; the jobs' own (regen, cancel) otherwise. */
export type ButtonHandler = (interaction: ButtonInteraction, services: Services) => Promise<void>;
/** Modals by the first part of their custom id (animate, remix). */
export type ModalHandler = (interaction: ModalSubmitInteraction, services: Services) => Promise<void>;

/**
 * Hands each slash command to its module and each button to its handler; a failure still gets
 * an answer (in the caller's language), never silence. Returns a switch that makes the bot
 * answer "restarting" while it shuts down.
 */
export function routeCommands(
  client: Client,
  commands: Map<string, AnyCommand>,
  services: Services,
  buttons: Record<string, ButtonHandler> = {},
  modals: Record<string, ModalHandler> = {},
): () => void {
  let draining = false;
  client.on(Events.InteractionCreate, async (interaction) => {
    if (draining) {
      if (interaction.isRepliable()) await refuse(interaction, msg("common.restarting")).catch(() => undefined);
      return;
    }
    // a server the operator does not serve gets this and nothing else (no download, no fal call)
    const ownersCommand = interaction.isChatInputCommand() && interaction.commandName === OPERATOR_COMMAND && services.operator.isOwner(interaction.user.id);
    if (!services.operator.serves(interaction.guildId) && !ownersCommand) {
      if (interaction.isRepliable()) await refuse(interaction, msg("common.notEnabled")).catch(() => undefined);
      return;
    }
    if (interaction.isButton()) {
      const handler = buttons[interaction.customId.split(":")[0]!] ?? ((i: ButtonInteraction, s: Services) => onButton(s, i));
      return handler(interaction, services).catch(async (err) => {
        services.log.error({ err, button: interaction.customId.split(":")[0] }, "button failed");
        await refuse(interaction, failureText(err)).catch(() => undefined);
      });
    }
    if (interaction.isModalSubmit()) {
      const handler = modals[interaction.customId.split(":")[0]!];
      if (!handler) return refuse(interaction, msg("common.unknownCommand")).catch(() => undefined);
      return handler(interaction, services).catch(async (err) => {
        services.log.error({ err, modal: interaction.customId.split(":")[0] }, "modal failed");
        await refuse(interaction, failureText(err)).catch(() => undefined);
      });
    }
    if (!interaction.isChatInputCommand() && !interaction.isMessageContextMenuCommand()) return;
    const command = commands.get(interaction.commandName);
    try {
      if (!command) return await refuse(interaction, msg("common.unknownCommand"));
      if (interaction.isMessageContextMenuCommand()) {
        if (!isMessageCommand(command)) return await refuse(interaction, msg("common.unknownCommand"));
        await command.handle(interaction, services);
      } else {
        if (isMessageCommand(command)) return await refuse(interaction, msg("common.unknownCommand"));
        await command.handle(interaction, readArgs(interaction, command.definition), services);
      }
    } catch (err) {
      services.log.error({ err, command: interaction.commandName }, "command failed");
      await refuse(interaction, failureText(err)).catch(() => undefined);
    }
  });
  return () => {
    draining = true;
  };
}

/** Reactions on any message, cached or not (partials): looked up in the store by message id. */
export function routeReactions(client: Client, services: Services): void {
  client.on(Events.MessageReactionAdd, (reaction, user) => {
    if (!services.operator.serves(reaction.message.guildId)) return; // no answer is possible to a reaction; nothing happens
    const event = {
      messageId: reaction.message.id,
      channelId: reaction.message.channelId,
      guildId: reaction.message.guildId,
      userId: user.id,
      emoji: reaction.emoji.name,
    };
    onReaction(services, event).catch((err) => services.log.error({ err, emoji: event.emoji }, "reaction failed"));
  });
}
