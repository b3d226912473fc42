import { PermissionFlagsBits, type Client, type PermissionsBitField } from "discord.js";

/** What the bot needs where it posts a video: to see the channel, post in it and attach the file. */
export const DELIVERY = { "View Channel": PermissionFlagsBits.ViewChannel, "Send Messages": PermissionFlagsBits.SendMessages, "Attach Files": PermissionFlagsBits.AttachFiles };
/** A regeneration's progress message replies to the result, which needs the channel's history too. */
export const REPLY_DELIVERY = { ...DELIVERY, "Read Message History": PermissionFlagsBits.ReadMessageHistory };

/** The names of the permissions in `needed` that `have` lacks. */
export function missingPermissions(have: Readonly<PermissionsBitField>, needed: Record<string, bigint>): string[] {
  return Object.entries(needed)
    .filter(([, bit]) => !have.has(bit, true))
    .map(([name]) => name);
}

/** The bot's permissions in a channel now, from the gateway's cache; null when the channel is not cached. */
export function botPermissionsIn(client: Client, channelId: string): Readonly<PermissionsBitField> | null {
  const channel = client.channels.cache.get(channelId);
  const me = client.user;
  if (!me || !channel || !("permissionsFor" in channel)) return null;
  return channel.permissionsFor(me);
}
