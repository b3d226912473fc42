import { Events, type Client } from "discord.js";
import type { Services } from "../services.js";
import { readArgs, type Command } from "./command.js";
import { refuse } from "./replies.js";
import { onButton, onReaction } from "../jobs/actions.js";

const OOPS = "Something went wrong on the bot's side. Nothing was charged; please try again in a moment.";
const RESTARTING = "The bot is restarting. Nothing was started or charged; please try again in a minute.";
const NOT_ENABLED = "This bot is not enabled in this server. Nothing was started or charged.";
/** The operator's own command works wherever an owner runs it. */
const OPERATOR_COMMAND = "operator";

/**
 * Hands each slash command to its module; a failure still gets an answer, never silence.
 * Returns a switch that makes the bot answer "restarting" while it shuts down.
 */
export function routeCommands(client: Client, commands: Map<string, Command>, services: Services): () => void {
  let draining = false;
  client.on(Events.InteractionCreate, async (interaction) => {
    if (draining) {
      if (interaction.isRepliable()) await refuse(interaction, RESTARTING).catch(() => undefined);
      return;
    }
    // a server the operator does not serve gets this and nothing else (no download, no fal call)
    const ownersCommand = interaction.isChatInputCommand() && interaction.commandName === OPERATOR_COMMAND && services.operator.isOwner(interaction.user.id);
    if (!services.operator.serves(interaction.guildId) && !ownersCommand) {
      if (interaction.isRepliable()) await refuse(interaction, NOT_ENABLED).catch(() => undefined);
      return;
    }
    if (interaction.isButton()) {
      return onButton(services, interaction).catch(async (err) => {
        services.log.error({ err, button: interaction.customId.split(":")[0] }, "button failed");
        await refuse(interaction, OOPS).catch(() => undefined);
      });
    }
    if (!interaction.isChatInputCommand()) return;
    const command = commands.get(interaction.commandName);
    try {
      if (!command) return await refuse(interaction, "This command is no longer available.");
      await command.handle(interaction, readArgs(interaction, command.definition), services);
    } catch (err) {
      services.log.error({ err, command: interaction.commandName }, "command failed");
      await refuse(interaction, OOPS).catch(() => undefined);
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
