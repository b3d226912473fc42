import { MessageFlags, type RepliableInteraction } from "discord.js";

/**
 * Answers only the caller. Before the acknowledgement that is an ephemeral reply; after a
 * public defer, the public "thinking" message is removed and an ephemeral follow-up says why.
 */
export async function refuse(interaction: RepliableInteraction, text: string): Promise<void> {
  const body = { content: text, flags: MessageFlags.Ephemeral as const, allowedMentions: { parse: [] } };
  if (!interaction.deferred && !interaction.replied) {
    await interaction.reply(body);
    return;
  }
  if (interaction.deferred && !interaction.ephemeral) {
    await interaction.deleteReply().catch(() => undefined);
  }
  await interaction.followUp(body);
}
