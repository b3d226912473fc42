import { MessageFlags, type RepliableInteraction } from "discord.js";
import { render, type Message } from "../i18n/index.js";

/**
 * Answers only the caller, in their language (the interaction's locale). Before the
 * acknowledgement that is an ephemeral reply; after a command's public defer, its "thinking"
 * message is removed and an ephemeral follow-up says why.
 */
export async function refuse(interaction: RepliableInteraction, text: Message | string, components?: readonly unknown[]): Promise<void> {
  const body = { content: render(interaction.locale, text), flags: MessageFlags.Ephemeral as const, allowedMentions: { parse: [] }, ...(components ? { components: components as never[] } : {}) };
  if (!interaction.deferred && !interaction.replied) {
    await interaction.reply(body);
    return;
  }
  // An ephemeral "thinking" (Animate) becomes the answer itself.
  if (interaction.deferred && !interaction.replied && interaction.ephemeral === true) {
    await interaction.editReply({ content: body.content, allowedMentions: body.allowedMentions, ...(components ? { components: components as never[] } : {}) });
    return;
  }
  // Only a command's own "thinking" message goes: after a button's deferUpdate, the "reply"
  // is the message the button sits on (a result), which must stay. The answer goes first: a
  // process that dies (or a follow-up Discord refuses) between the two must not leave the member
  // with nothing; when the private answer cannot go, the "thinking" message says it instead.
  if (interaction.isChatInputCommand() && interaction.deferred && !interaction.ephemeral) {
    try {
      await interaction.followUp(body);
    } catch {
      await interaction.editReply({ content: body.content, allowedMentions: body.allowedMentions });
      return;
    }
    await interaction.deleteReply().catch(() => undefined);
    return;
  }
  await interaction.followUp(body);
}
